// The bureau console in a real browser (tests/e2e/console_browser.sh runs
// this with node): Debian's Chromium, driven by playwright-core (no browser
// download), logs in with the admin token, searches a person, opens a claim,
// prints its 结算单 to PDF, marks an alert handled; screenshots are written
// for the shell script to check, and each step's result is one line
// "ok NAME" or "FAIL NAME: why" on standard output.
// Usage: node console_browser.mjs PLAYWRIGHT_CORE_DIR CHROMIUM BASE_URL TOKEN OUT_DIR
import { createRequire } from 'node:module';

const [pwDir, chromiumPath, base, token, out] = process.argv.slice(2);
const require = createRequire(pwDir + '/');
const { chromium } = require('playwright-core');

let failed = 0;
function check(name, cond, why) {
  if (cond) console.log('ok ' + name);
  else {
    failed++;
    console.log('FAIL ' + name + ': ' + why);
  }
}

// How many pixels of a PNG are not (near) white, and its size, measured in
// a blank page of the same browser (a canvas reads the decoded image).
async function inkOf(browser, png) {
  const p = await browser.newPage();
  const r = await p.evaluate(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
    return { w: img.width, h: img.height, ink };
  }, png.toString('base64'));
  await p.close();
  return r;
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const cspErrors = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });

  // 1. anonymous: the login page; log in with the admin token
  await page.goto(base + '/console/');
  check('anonymous goes to the login page', page.url().includes('/console/login'), page.url());
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
  check('logged in: the overview', new URL(page.url()).pathname === '/console/', page.url());
  const cookies = await ctx.cookies();
  const sess = cookies.find((c) => c.name === 'sb_session');
  check('the session cookie is HttpOnly, SameSite=Strict', sess && sess.httpOnly && sess.sameSite === 'Strict',
    JSON.stringify(sess));
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor);
  check('the stylesheet applies under the CSP', bg === 'rgb(33, 64, 154)', bg);
  const ov = await page.screenshot({ path: out + '/overview.png', fullPage: true });
  const ovInk = await inkOf(browser, ov);
  check('overview screenshot is not blank', ovInk.ink > 2000, JSON.stringify(ovInk));
  check('overview has the tiers chart', (await page.locator('svg#chart-tiers rect').count()) === 4, 'bars');

  // 2. search a person, open their page
  await page.fill('input[name=q]', 'A1');
  await Promise.all([page.waitForNavigation(), page.click('form[role=search] button')]);
  check('search results', (await page.locator('ul.hits a[href="/console/persons/A1"]').count()) === 1,
    await page.content());
  await Promise.all([page.waitForNavigation(), page.click('ul.hits a[href="/console/persons/A1"]')]);
  const personText = await page.innerText('main');
  check('the person page', personText.includes('个人编号') && personText.includes('2022 年度'), personText.slice(0, 200));
  const pp = await page.screenshot({ path: out + '/person.png', fullPage: true });
  const ppInk = await inkOf(browser, pp);
  check('person screenshot size and ink', ppInk.w === 1280 && ppInk.h >= 900 && ppInk.ink > 2000,
    JSON.stringify(ppInk));

  // 3. open a claim, print its 结算单 to PDF
  await Promise.all([page.waitForNavigation(), page.click('table.claims a[href="/console/claims/A1-01"]')]);
  const slip = await page.innerText('section.slip');
  check('the 结算单', slip.includes('医疗费用结算单') && slip.includes('16080.00') && slip.includes('个人负担'),
    slip.slice(0, 300));
  await page.screenshot({ path: out + '/claim.png', fullPage: true });
  await page.emulateMedia({ media: 'print' });
  const navShown = await page.evaluate(() => getComputedStyle(document.querySelector('header')).display);
  check('printing leaves the navigation out', navShown === 'none', navShown);
  // the slip fits one A4 page: 297 mm less the 15 mm margins, at 96 px an inch
  const slipPx = await page.evaluate(() => document.querySelector('section.slip').getBoundingClientRect().height);
  check('the 结算单 fits one A4 page', slipPx > 200 && slipPx <= ((297 - 30) / 25.4) * 96, String(slipPx));
  await page.pdf({ path: out + '/claim.pdf', format: 'A4', printBackground: true });
  await page.pdf({ path: out + '/slip.pdf', format: 'A4', printBackground: true, pageRanges: '1' });
  await page.emulateMedia({ media: 'screen' });

  // 4. the worklist: mark the first alert handled
  await page.goto(base + '/console/alerts');
  const before = await page.locator('tr.open').count();
  check('the worklist has an open alert', before >= 1, String(before));
  const form = page.locator('tr.open form').first();
  await form.locator('input[name=note]').fill('已电话回访 <ok>');
  await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
  const after = await page.locator('tr.open').count();
  check('the alert is handled', after === before - 1, before + ' -> ' + after);
  const marks = await page.innerText('table.alerts');
  check('the mark shows who and the note, as typed', marks.includes('BUREAU') && marks.includes('已电话回访 <ok>'),
    marks.slice(0, 300));
  await page.screenshot({ path: out + '/alerts.png', fullPage: true });
  check('no Content-Security-Policy violation', cspErrors.length === 0, cspErrors.join(' | '));
} catch (e) {
  failed++;
  console.log('FAIL the browser session: ' + (e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
