/*
** sanbao — synthetic fee lines and their catalogue (see fees_gen.h).
**
** The catalogue.  Codes are drawn kind by kind in the shares of a real
** provincial list (western drugs most, then services, Chinese patent
** medicines, materials and decoction pieces); each gets a name assembled
** from the tables below, a usual unit price — the price hospitals charge,
** which the catalogue itself does not carry — and one or two rows.  Codes
** are unique by construction: every code ends in a five-digit serial that
** is a bijection of its number within its kind.
**
** A claim's lines.  The claim's total T (drawn by gen.c as without fee
** lines) is split by random weights; line i aims at R * w_i / W, R being
** what is left and W the weights left, and picks a code whose usual price
** fits that aim (a count of 1 up to a per-kind maximum), a price near the
** usual one (under the limit but now and then over it) and the count that
** comes closest.  What a line comes to is taken off R, so the errors do not
** add up, and a line may never leave less than a fen for each line after
** it.  The last line's price is R / count to the micro-yuan, which makes
** the claim's lines add up to T exactly (count below 10,000: the rounding
** error of count x price stays below half a fen).
**
** Streams.  The catalogue, each claim and each bucket's shuffle have PRNG
** streams of their own, derived from the seed: a claim's lines do not
** depend on any other claim, and --fee-errors only changes the lines it
** spoils (its draws are made whether it is on or not).
*/
#include "gen/fees_gen.h"

#include "gen/rng.h"
#include "sanbao/fee.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
** PRNG: the generator's xoshiro256** (gen.c), with streams of its own.
*/
enum { STREAM_CATALOG = 1, STREAM_CLAIM = 2, STREAM_SHUFFLE = 3 };

static void frng_seed(rng *r, uint64_t seed, int kind, uint64_t n) {
  rng_seed_keys(r, seed, n ^ ((uint64_t)kind << 56) ^ 0x5342464545474E31ULL); /* "SBFEEGN1" */
}

static int frng_permille(rng *r, unsigned pm) {
  return rng_below(r, 1000) < pm;
}

static int frng_pick(rng *r, const uint16_t *w, int n) {
  uint32_t total = 0;
  for (int i = 0; i < n; i++)
    total += w[i];
  uint32_t x = rng_below(r, total);
  for (int i = 0; i < n; i++) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return n - 1;
}

/* Uniform integer in [lo, hi]. */
static int64_t frng_in(rng *r, int64_t lo, int64_t hi) {
  return lo + (int64_t)rng_below(r, (uint32_t)(hi - lo + 1));
}

/* ------------------------------------------------------------------------
** Tables.
*/
enum { K_WEST, K_CPM, K_HERB, K_SERV, K_MAT, NKIND };
static const uint16_t kind_share[NKIND] = {45, 18, 8, 17, 12};

#define NLISTED 6000
#define NRETIRED 200
#define NHIDDEN 300
#define NCODES (NLISTED + NRETIRED + NHIDDEN)

/* Dosage forms of western drugs: the name's ending and some specifications. */
enum { F_TAB, F_CAP, F_INJ, F_PWD, F_SR, F_EC, F_GRA, F_SOL, F_EYE, F_OINT, F_INH, F_IVF, NFORM };
static const char form_letter[NFORM + 1] = "tcipseglyohv";
static const char *const form_suffix[NFORM] = {"片",     "胶囊",   "注射液",     "",
                                               "缓释片", "肠溶片", "颗粒",       "口服溶液",
                                               "滴眼液", "软膏",   "吸入气雾剂", "注射液"};
static const char *const form_spec[NFORM][4] = {
    {"10mg*28片", "0.5g*24片", "5mg*7片", "25mg*100片"},
    {"0.25g*24粒", "20mg*14粒", "0.15g*12粒", "0.5g*20粒"},
    {"2ml:10mg", "5ml:0.1g", "10ml:0.5g", "1ml:5mg"},
    {"0.5g", "1.0g", "40mg", "2.0g"},
    {"30mg*10片", "0.5g*30片", "0.2g*12片", "60mg*14片"},
    {"100mg*30片", "20mg*14片", "25mg*24片", "40mg*7片"},
    {"5g*10袋", "0.125g*12袋", "1g*9袋", "10g*6袋"},
    {"100ml", "10ml*6支", "60ml", "150ml"},
    {"5ml:15mg", "8ml", "0.4ml*10支", "5ml:25mg"},
    {"10g", "15g:0.15g", "20g", "5g"},
    {"200揿", "100揿", "120揿", "60揿"},
    {"0.9%,250ml", "5%,500ml", "10%,100ml", "0.9%,100ml"},
};
static const struct {
  const char *name, *atc, *forms; /* forms: letters of form_letter */
} west[] = {
    {"阿莫西林", "J01CA", "tcg"},     {"头孢克肟", "J01DD", "tcg"},
    {"头孢呋辛", "J01DC", "tp"},      {"头孢曲松钠", "J01DD", "p"},
    {"头孢他啶", "J01DD", "p"},       {"哌拉西林他唑巴坦", "J01CR", "p"},
    {"美罗培南", "J01DH", "p"},       {"左氧氟沙星", "J01MA", "tiy"},
    {"莫西沙星", "J01MA", "ti"},      {"阿奇霉素", "J01FA", "tcpg"},
    {"克拉霉素", "J01FA", "tc"},      {"万古霉素", "J01XA", "p"},
    {"甲硝唑", "J01XD", "ti"},        {"氟康唑", "J02AC", "ci"},
    {"伏立康唑", "J02AC", "tp"},      {"阿昔洛韦", "J05AB", "tpo"},
    {"奥司他韦", "J05AH", "cg"},      {"恩替卡韦", "J05AF", "tc"},
    {"替诺福韦", "J05AF", "t"},       {"布洛芬", "M01AE", "tsgl"},
    {"双氯芬酸钠", "M01AB", "es"},    {"塞来昔布", "M01AH", "c"},
    {"对乙酰氨基酚", "N02BE", "tlg"}, {"曲马多", "N02AX", "s"},
    {"盐酸吗啡", "N02AA", "is"},      {"利多卡因", "N01BB", "i"},
    {"丙泊酚", "N01AX", "i"},         {"咪达唑仑", "N05CD", "i"},
    {"艾司唑仑", "N05CD", "t"},       {"奥氮平", "N05AH", "t"},
    {"利培酮", "N05AX", "tl"},        {"盐酸舍曲林", "N06AB", "t"},
    {"帕罗西汀", "N06AB", "t"},       {"丙戊酸钠", "N03AG", "slp"},
    {"左乙拉西坦", "N03AX", "tl"},    {"奥卡西平", "N03AF", "t"},
    {"甲钴胺", "N07XX", "ti"},        {"尼莫地平", "C08CA", "ti"},
    {"硝苯地平", "C08CA", "s"},       {"苯磺酸氨氯地平", "C08CA", "t"},
    {"缬沙坦", "C09CA", "c"},         {"厄贝沙坦", "C09CA", "t"},
    {"培哚普利", "C09AA", "t"},       {"酒石酸美托洛尔", "C07AB", "ts"},
    {"富马酸比索洛尔", "C07AB", "t"}, {"呋塞米", "C03CA", "ti"},
    {"螺内酯", "C03DA", "t"},         {"地高辛", "C01AA", "t"},
    {"胺碘酮", "C01BD", "ti"},        {"单硝酸异山梨酯", "C01DA", "s"},
    {"阿托伐他汀钙", "C10AA", "t"},   {"瑞舒伐他汀钙", "C10AA", "t"},
    {"阿司匹林", "B01AC", "e"},       {"硫酸氢氯吡格雷", "B01AC", "t"},
    {"替格瑞洛", "B01AC", "t"},       {"华法林钠", "B01AA", "t"},
    {"利伐沙班", "B01AF", "t"},       {"低分子量肝素钙", "B01AB", "i"},
    {"氨甲环酸", "B02AA", "it"},      {"盐酸二甲双胍", "A10BA", "ts"},
    {"格列美脲", "A10BB", "t"},       {"阿卡波糖", "A10BF", "t"},
    {"磷酸西格列汀", "A10BH", "t"},   {"达格列净", "A10BK", "t"},
    {"甘精胰岛素", "A10AE", "i"},     {"门冬胰岛素", "A10AB", "i"},
    {"奥美拉唑", "A02BC", "ep"},      {"泮托拉唑钠", "A02BC", "ep"},
    {"雷贝拉唑钠", "A02BC", "e"},     {"铝碳酸镁", "A02AD", "t"},
    {"多潘立酮", "A03FA", "t"},       {"昂丹司琼", "A04AA", "it"},
    {"乳果糖", "A06AD", "l"},         {"地塞米松磷酸钠", "H02AB", "i"},
    {"甲泼尼龙", "H02AB", "p"},       {"醋酸泼尼松", "H02AB", "t"},
    {"左甲状腺素钠", "H03AA", "t"},   {"盐酸氨溴索", "R05CB", "til"},
    {"布地奈德", "R03BA", "h"},       {"硫酸沙丁胺醇", "R03AC", "ht"},
    {"孟鲁司特钠", "R03DC", "tg"},    {"氯雷他定", "R06AX", "t"},
    {"盐酸西替利嗪", "R06AE", "t"},   {"别嘌醇", "M04AA", "ts"},
    {"非布司他", "M04AA", "t"},       {"阿仑膦酸钠", "M05BA", "t"},
    {"骨化三醇", "A11CC", "c"},       {"维生素C", "A11GA", "ti"},
    {"维生素B6", "A11HA", "ti"},      {"氯化钾", "A12BA", "si"},
    {"氯化钠", "B05XA", "v"},         {"葡萄糖", "B05BA", "v"},
    {"葡萄糖氯化钠", "B05BB", "v"},   {"乳酸钠林格", "B05BB", "v"},
    {"复方氨基酸", "B05BA", "v"},     {"中/长链脂肪乳", "B05BA", "v"},
    {"人血白蛋白", "B05AA", "i"},     {"甘露醇", "B05BC", "v"},
    {"碳酸氢钠", "B05XA", "tv"},      {"奥沙利铂", "L01XA", "p"},
    {"顺铂", "L01XA", "i"},           {"紫杉醇", "L01CD", "i"},
    {"卡培他滨", "L01BC", "t"},       {"盐酸吉西他滨", "L01BC", "p"},
    {"替吉奥", "L01BC", "c"},         {"来曲唑", "L02BG", "t"},
    {"枸橼酸他莫昔芬", "L02BA", "t"}, {"甲磺酸伊马替尼", "L01EA", "tc"},
    {"吉非替尼", "L01EB", "t"},       {"妥布霉素", "S01AA", "y"},
    {"玻璃酸钠", "S01XA", "y"},       {"红霉素", "D06AX", "o"},
    {"莫匹罗星", "D06AX", "o"},
};
#define NWEST ((int)(sizeof west / sizeof west[0]))

static const char *const makers[] = {"恒瑞",     "石药", "齐鲁", "扬子江", "华润双鹤", "国药",
                                     "正大天晴", "科伦", "辉瑞", "拜耳",   "九芝堂",   "千金"};
#define NMAKERS ((int)(sizeof makers / sizeof makers[0]))

/* Chinese patent medicines: name (with its form), category, kind of spec. */
enum { S_CAPS, S_BAGS, S_ML, S_PILLS, S_TABS, NSPEC };
static const char *const cpm_spec[NSPEC][3] = {
    {"0.35g*24粒", "0.3g*36粒", "0.5g*12粒"},
    {"10g*9袋", "5g*12袋", "3g*6袋"},
    {"10ml*6支", "10ml", "2ml"},
    {"9g*10丸", "3g*1丸", "60丸"},
    {"0.4g*36片", "0.25g*48片", "0.3g*24片"},
};
static const struct {
  const char *name, *cat;
  uint8_t spec;
} cpm[] = {
    {"连花清瘟胶囊", "A01BA", S_CAPS}, {"感冒灵颗粒", "A01BA", S_BAGS},
    {"板蓝根颗粒", "A01BA", S_BAGS},   {"双黄连口服液", "A01BA", S_ML},
    {"小柴胡颗粒", "A01CA", S_BAGS},   {"蒲地蓝消炎口服液", "A04CA", S_ML},
    {"藿香正气水", "A06AA", S_ML},     {"复方丹参滴丸", "A12BA", S_PILLS},
    {"速效救心丸", "A12BA", S_PILLS},  {"麝香保心丸", "A12BA", S_PILLS},
    {"通心络胶囊", "A12BA", S_CAPS},   {"脑心通胶囊", "A12BA", S_CAPS},
    {"银杏叶片", "A12BA", S_TABS},     {"稳心颗粒", "A12BA", S_BAGS},
    {"血塞通注射液", "A12BB", S_ML},   {"丹红注射液", "A12BB", S_ML},
    {"注射用血栓通", "A12BB", S_ML},   {"疏血通注射液", "A12BB", S_ML},
    {"参麦注射液", "A09AA", S_ML},     {"生脉注射液", "A09AA", S_ML},
    {"醒脑静注射液", "A10AA", S_ML},   {"喜炎平注射液", "A04CA", S_ML},
    {"痰热清注射液", "A04CA", S_ML},   {"六味地黄丸", "A09DA", S_PILLS},
    {"金匮肾气丸", "A09DA", S_PILLS},  {"补中益气丸", "A09AA", S_PILLS},
    {"健胃消食片", "A11AA", S_TABS},   {"香砂养胃丸", "A11AA", S_PILLS},
    {"金水宝胶囊", "A09DA", S_CAPS},   {"百令胶囊", "A09DA", S_CAPS},
    {"云南白药胶囊", "A13AA", S_CAPS}, {"三七片", "A13AA", S_TABS},
    {"康复新液", "A13AA", S_ML},       {"安宫牛黄丸", "A10AA", S_PILLS},
    {"牛黄解毒片", "A04AA", S_TABS},   {"逍遥丸", "A08AA", S_PILLS},
    {"乌灵胶囊", "A10BA", S_CAPS},     {"尿毒清颗粒", "A09DA", S_BAGS},
    {"雷公藤多苷片", "A16AA", S_TABS}, {"独一味胶囊", "A13AA", S_CAPS},
};
#define NCPM ((int)(sizeof cpm / sizeof cpm[0]))

static const char *const herbs[] = {
    "黄芪",   "当归",   "党参",   "白术",   "茯苓",   "甘草",   "川芎",   "熟地黄", "白芍",
    "枸杞子", "陈皮",   "半夏",   "丹参",   "红花",   "桃仁",   "柴胡",   "黄芩",   "金银花",
    "连翘",   "山药",   "麦冬",   "五味子", "黄连",   "大黄",   "附子",   "桂枝",   "麻黄",
    "苦杏仁", "薏苡仁", "山楂",   "枳壳",   "厚朴",   "木香",   "砂仁",   "酸枣仁", "远志",
    "石菖蒲", "天麻",   "钩藤",   "牛膝",   "杜仲",   "续断",   "桑寄生", "独活",   "羌活",
    "防风",   "荆芥",   "薄荷",   "菊花",   "葛根",   "知母",   "玄参",   "生地黄", "牡丹皮",
    "赤芍",   "三七粉", "西洋参", "川贝母", "鸡内金", "益母草",
};
#define NHERBS ((int)(sizeof herbs / sizeof herbs[0]))
static const char *const herb_prep[] = {"", "", "", "炒", "炙", "酒", "麸炒", "蜜炙", "盐", "制"};
#define NPREP ((int)(sizeof herb_prep / sizeof herb_prep[0]))

/* Services: name, usual price in yuan, the code's category digits. */
static const struct {
  const char *name;
  int yuan;
  const char *cat;
} serv[] = {
    {"普通门诊诊查费", 10, "11"},
    {"副主任医师门诊诊查费", 20, "11"},
    {"主任医师门诊诊查费", 30, "11"},
    {"急诊诊查费", 12, "11"},
    {"住院诊查费", 20, "11"},
    {"床位费(三人间)", 35, "11"},
    {"床位费(双人间)", 60, "11"},
    {"重症监护病房床位费", 150, "11"},
    {"一级护理", 30, "12"},
    {"二级护理", 18, "12"},
    {"特级护理", 100, "12"},
    {"静脉输液", 6, "12"},
    {"肌肉注射", 3, "12"},
    {"静脉注射", 5, "12"},
    {"静脉采血", 3, "12"},
    {"吸氧", 3, "12"},
    {"雾化吸入", 10, "12"},
    {"换药", 20, "12"},
    {"导尿", 20, "12"},
    {"留置胃管", 25, "12"},
    {"心电监护", 6, "12"},
    {"血常规", 20, "25"},
    {"尿常规", 10, "25"},
    {"大便常规", 8, "25"},
    {"肝功能", 60, "25"},
    {"肾功能", 30, "25"},
    {"电解质", 30, "25"},
    {"血糖测定", 8, "25"},
    {"糖化血红蛋白", 60, "25"},
    {"血脂四项", 40, "25"},
    {"心肌酶谱", 70, "25"},
    {"凝血四项", 80, "25"},
    {"C反应蛋白", 30, "25"},
    {"降钙素原", 150, "25"},
    {"乙肝五项", 60, "25"},
    {"肿瘤标志物", 90, "25"},
    {"病理检查", 200, "27"},
    {"心电图", 25, "31"},
    {"动态心电图", 150, "31"},
    {"胸部X线摄影(DR)", 80, "21"},
    {"CT平扫", 180, "21"},
    {"CT增强扫描", 350, "21"},
    {"磁共振平扫", 450, "21"},
    {"磁共振增强扫描", 800, "21"},
    {"彩色多普勒超声", 120, "22"},
    {"心脏彩色多普勒超声", 200, "22"},
    {"胃镜检查", 250, "31"},
    {"结肠镜检查", 350, "31"},
    {"血液透析", 400, "31"},
    {"腹膜透析", 200, "31"},
    {"针刺", 20, "45"},
    {"推拿", 35, "45"},
    {"康复训练", 50, "43"},
    {"气管插管术", 150, "33"},
    {"呼吸机辅助呼吸", 10, "31"},
    {"中心静脉穿刺置管术", 200, "31"},
    {"全身麻醉", 800, "33"},
    {"椎管内麻醉", 500, "33"},
    {"清创缝合术", 150, "33"},
    {"阑尾切除术", 1200, "33"},
    {"腹腔镜下胆囊切除术", 2500, "33"},
    {"剖宫产术", 1500, "33"},
    {"经阴道分娩接生", 800, "33"},
    {"白内障超声乳化摘除术", 1800, "33"},
    {"冠状动脉造影术", 1500, "32"},
    {"经皮冠状动脉支架置入术", 4000, "32"},
    {"人工全髋关节置换术", 4500, "33"},
    {"腰椎间盘突出摘除术", 3000, "33"},
    {"甲状腺次全切除术", 2000, "33"},
    {"腹股沟疝修补术", 1200, "33"},
    {"骨折切开复位内固定术", 2500, "33"},
    {"输血", 30, "12"},
};
#define NSERV ((int)(sizeof serv / sizeof serv[0]))
static const char *const serv_qual[] = {"",       "",       "",       "(加收)",        "(儿童)",
                                        "(床旁)", "(急诊)", "(夜间)", "(每增加1部位)", "(复杂)"};
#define NQUAL ((int)(sizeof serv_qual / sizeof serv_qual[0]))

/* Materials: name, usual price in yuan, the code's class digits. */
static const struct {
  const char *name;
  int yuan;
  const char *cat;
} mat[] = {
    {"一次性使用无菌注射器", 1, "14"},
    {"一次性使用输液器", 3, "14"},
    {"静脉留置针", 15, "14"},
    {"医用脱脂纱布", 2, "14"},
    {"医用胶带", 3, "14"},
    {"一次性使用导尿包", 25, "14"},
    {"一次性使用吸氧管", 5, "08"},
    {"一次性使用雾化器", 15, "08"},
    {"中心静脉导管包", 300, "14"},
    {"植入式给药装置(输液港)", 4000, "14"},
    {"一次性使用气管插管", 60, "08"},
    {"一次性使用引流管", 40, "14"},
    {"负压引流器", 80, "14"},
    {"透明敷贴", 10, "14"},
    {"血液透析器", 150, "10"},
    {"血液透析管路", 80, "10"},
    {"导丝", 400, "03"},
    {"造影导管", 600, "03"},
    {"球囊扩张导管", 2500, "03"},
    {"冠状动脉药物洗脱支架", 700, "03"},
    {"人工髋关节假体", 7000, "13"},
    {"人工膝关节假体", 5000, "13"},
    {"人工晶状体", 1200, "16"},
    {"接骨板", 1800, "13"},
    {"骨科螺钉", 300, "13"},
    {"椎间融合器", 3000, "13"},
    {"一次性使用吻合器", 2000, "02"},
    {"可吸收缝合线", 60, "02"},
    {"可吸收止血夹", 150, "02"},
    {"疝修补补片", 1500, "02"},
    {"植入式心脏起搏器", 20000, "03"},
    {"一次性使用穿刺器", 600, "02"},
    {"一次性使用心电电极", 2, "07"},
    {"一次性使用真空采血管", 1, "14"},
    {"医用外科口罩", 1, "14"},
    {"石膏绷带", 20, "13"},
    {"医用弹力袜", 80, "14"},
    {"一次性使用胰岛素注射笔针头", 2, "14"},
};
#define NMAT ((int)(sizeof mat / sizeof mat[0]))
static const char *const mat_spec[] = {"型号A",      "型号B",      "规格S", "规格M", "规格L",
                                       "2.5mm,18mm", "3.0mm,24mm", "5ml",   "20ml",  "7#"};
#define NMATSPEC ((int)(sizeof mat_spec / sizeof mat_spec[0]))

/* 乙类's 先行自付 in basis points. */
static const uint16_t ratio_bp[] = {500, 1000, 1500, 2000, 3000};
static const uint16_t ratio_w[] = {15, 40, 12, 15, 10, 8}; /* the last: any in 0.05..0.30 */

/* Lines.  By visit type: kinds of line, classes as used (甲 most), the
** share of lines whose code is not in the catalogue and of lines priced over
** their code's limit, per mille — tuned so that the out-of-scope parts come
** near those gen draws without fee lines.  How many of a kind one line may
** count; services by level (a price index, %). */
static const uint16_t line_kind_w[3][NKIND] = {
    {45, 20, 5, 25, 5}, /* outpatient */
    {62, 22, 4, 10, 2}, /* chronic */
    {34, 8, 3, 40, 15}, /* inpatient */
};
static const uint16_t use_cls_w[3][3] = {{73, 25, 2}, {63, 35, 2}, {58, 37, 5}};
static const uint16_t unlisted_pm[3] = {25, 20, 35};
static const uint16_t over_pm[3] = {60, 100, 320};
static const int64_t max_cnt[NKIND] = {30, 20, 1000, 30, 10};
static const int lv_pct[5] = {90, 95, 100, 110, 120};
static const uint16_t few_lines_w[2][5] = {{35, 30, 18, 10, 7}, {20, 30, 25, 15, 10}};

static const int64_t P10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* ------------------------------------------------------------------------
** The catalogue.
*/
typedef struct frow {
  int32_t begin, end; /* yyyymmdd; end 0: open */
  uint8_t cls;        /* 1, 2, 3 */
  uint8_t zero_ratio; /* a 01 row that writes selfpay_prop "0" */
  uint16_t ratio;     /* basis points, 02 only */
} frow;

typedef struct fcode {
  char code[24];
  uint8_t len, kind, nrows, limit_dec;
  int64_t ref;   /* the usual unit price, micro-yuan */
  int64_t limit; /* micro-yuan, or -1 */
  frow row[2];
  char name[128];
} fcode;

enum { BK_CAP = 64 * 1024, BK_LINE = 256, OUT_CAP = 1 << 20 };

typedef struct bucket {
  FILE *f;
  char *buf;
  size_t len;
} bucket;

struct sb_feegen {
  uint64_t seed;
  int year, share, errors;
  fcode *codes;
  const fcode **by[NKIND][3]; /* listed codes by kind and class, by usual price */
  int64_t *ref[NKIND][3];     /* their usual prices, for the searches */
  int nby[NKIND][3];
  int nunl; /* codes NLISTED.. are retired or never listed */
  bucket *bk;
  int nbk;
  int err; /* errno of the first failed bucket write */
  sb_feegen_stats st;
};

static char *put_str(char *p, const char *s) {
  size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

static char *put_uint(char *p, uint64_t v, int width) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n < width)
    tmp[n++] = '0';
  while (n)
    *p++ = tmp[--n];
  return p;
}

/* v in units of 10^-scale, printed with `dec` decimals (v is a multiple of
** 10^(scale - dec)). */
static char *put_fixed(char *p, int64_t v, int scale, int dec) {
  p = put_uint(p, (uint64_t)(v / P10[scale]), 1);
  if (dec > 0) {
    char frac[12];
    put_uint(frac, (uint64_t)(v % P10[scale]), scale);
    *p++ = '.';
    memcpy(p, frac, (size_t)dec);
    p += dec;
  }
  return p;
}

static char *put_ymd(char *p, int32_t ymd) {
  p = put_uint(p, (uint64_t)(ymd / 10000), 4);
  *p++ = '-';
  p = put_uint(p, (uint64_t)(ymd / 100 % 100), 2);
  *p++ = '-';
  return put_uint(p, (uint64_t)(ymd % 100), 2);
}

static int month_days(int y, int m) {
  static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return md[m - 1] + (m == 2 && leap);
}

/* A code of kind k, serial n within the kind, and its name and usual price. */
static void make_code(rng *r, fcode *c, int n) {
  char *p = c->code, *q = c->name;
  const uint64_t serial = ((uint64_t)n * 7919u + 3469u) % 100000u;
  int64_t yuan100 = 0; /* usual price in fen, for services and materials */
  switch (c->kind) {
  case K_WEST: {
    const int g = (int)rng_below(r, NWEST);
    const char *fs = west[g].forms;
    const int f = (int)(strchr(form_letter, fs[rng_below(r, (uint32_t)strlen(fs))]) - form_letter);
    *p++ = 'X';
    p = put_str(p, west[g].atc);
    *p++ = 'A';
    p = put_uint(p, (uint64_t)g + 1, 3);
    *p++ = 'A';
    p = put_uint(p, (uint64_t)f * 10 + rng_below(r, 10), 3);
    if (f == F_PWD) q = put_str(q, "注射用");
    q = put_str(q, west[g].name);
    q = put_str(q, form_suffix[f]);
    *q++ = ' ';
    q = put_str(q, form_spec[f][rng_below(r, 4)]);
    const unsigned m = rng_below(r, 1000);
    if (m < 15) { /* a brand name in quotes: the field needs quoting */
      q = put_str(q, " \"");
      q = put_str(q, makers[m % NMAKERS]);
      *q++ = '"';
    } else if (m < 250) {
      *q++ = '(';
      q = put_str(q, makers[m % NMAKERS]);
      *q++ = ')';
    }
    break;
  }
  case K_CPM: {
    const int g = (int)rng_below(r, NCPM);
    *p++ = 'Z';
    p = put_str(p, cpm[g].cat);
    *p++ = 'L';
    p = put_uint(p, (uint64_t)g * 100 + rng_below(r, 100), 4);
    q = put_str(q, cpm[g].name);
    *q++ = ' ';
    q = put_str(q, cpm_spec[cpm[g].spec][rng_below(r, 3)]);
    break;
  }
  case K_HERB: {
    const int g = (int)rng_below(r, NHERBS), pr = (int)rng_below(r, NPREP);
    *p++ = 'T';
    p = put_uint(p, (uint64_t)g * 10 + (uint64_t)pr, 4);
    q = put_str(q, herb_prep[pr]);
    q = put_str(q, herbs[g]);
    break;
  }
  case K_SERV: {
    const int g = (int)rng_below(r, NSERV);
    p = put_str(p, "00");
    p = put_str(p, serv[g].cat);
    p = put_uint(p, rng_below(r, 1000000), 6);
    q = put_str(q, serv[g].name);
    const char *qual = serv_qual[rng_below(r, NQUAL)];
    if (!strchr(serv[g].name, '(')) q = put_str(q, qual);
    yuan100 = (int64_t)serv[g].yuan * 100;
    break;
  }
  default: {
    const int g = (int)rng_below(r, NMAT);
    *p++ = 'C';
    p = put_str(p, mat[g].cat);
    p = put_uint(p, rng_below(r, 1000000), 6);
    p = put_uint(p, rng_below(r, 1000000), 6);
    q = put_str(q, mat[g].name);
    *q++ = ' ';
    q = put_str(q, mat_spec[rng_below(r, NMATSPEC)]);
    yuan100 = (int64_t)mat[g].yuan * 100;
    break;
  }
  }
  p = put_uint(p, serial, 5);
  *p = '\0';
  *q = '\0';
  c->len = (uint8_t)(p - c->code);
  /* The usual price: a decade, then uniform in it (western and patent
  ** drugs a pack; decoction pieces a gram); services and materials vary
  ** around their table price.  Catalogue prices have 2 decimals, a gram 4. */
  int64_t ref;
  if (c->kind == K_SERV || c->kind == K_MAT) {
    ref = yuan100 * frng_in(r, 700, 1300) / 1000 * 10000;
  } else {
    static const uint16_t dw[3][5] = {{8, 30, 40, 18, 4}, {0, 25, 60, 15, 0}, {30, 55, 15, 0, 0}};
    const int k = c->kind == K_WEST ? 0 : c->kind == K_CPM ? 1 : 2;
    const int d = frng_pick(r, dw[k], 5); /* from 0.1 yuan (0.01 a gram) */
    const int64_t lo = (k == 2 ? 10000 : 100000) * P10[d];
    const int64_t m = k == 2 ? 100 : 10000; /* 4 or 2 decimals */
    ref = frng_in(r, lo / m, lo * 10 / m - 1) * m;
  }
  c->ref = ref < 100 ? 100 : ref;
}

static int32_t ymd(int y, int m, int d) {
  return (int32_t)(y * 10000 + m * 100 + d);
}

static uint16_t draw_ratio(rng *r) {
  const int k = frng_pick(r, ratio_w, 6);
  return k < 5 ? ratio_bp[k] : (uint16_t)frng_in(r, 500, 3000);
}

/* role: 0 listed, 1 retired before the year, 2 never listed */
static void make_rows(rng *r, fcode *c, int year, int role) {
  static const uint16_t cls_w[3] = {40, 45, 15};
  static const uint16_t limit_pm[NKIND] = {150, 100, 50, 250, 400};
  int y0 = year - 1 - (int)rng_below(r, 6);
  if (y0 < 1) y0 = 1;
  const int m0 = frng_permille(r, 500) ? 1 : 1 + (int)rng_below(r, 12);
  frow *a = &c->row[0];
  memset(c->row, 0, sizeof c->row);
  a->begin = ymd(y0, m0, 1);
  a->cls = (uint8_t)(1 + frng_pick(r, cls_w, 3));
  if (a->cls == 2) a->ratio = draw_ratio(r);
  if (a->cls == 1 && frng_permille(r, 30)) a->zero_ratio = 1;
  c->limit = -1;
  if (frng_permille(r, limit_pm[c->kind])) {
    int64_t l = c->ref * frng_in(r, 1000, 1250) / 1000;
    c->limit_dec = frng_permille(r, 750) ? 2 : 6;
    if (c->limit_dec == 2) l = l / 10000 * 10000;
    if (l <= 0) {
      l = c->ref;
      c->limit_dec = 6;
    }
    c->limit = l;
  }
  c->nrows = 1;
  if (role == 1) {
    a->end = ymd(year - 1, 12, 31);
    if (a->begin > a->end) a->begin = ymd(year - 1, 1, 1);
  } else if (role == 0 && frng_permille(r, 60)) { /* re-rated on the 1st of a month */
    const int m = 2 + (int)rng_below(r, 11);
    frow *b = &c->row[1];
    *b = *a;
    b->zero_ratio = 0;
    a->end = ymd(year, m - 1, month_days(year, m - 1));
    b->begin = ymd(year, m, 1);
    if (a->begin > a->end) a->begin = ymd(year, 1, 1);
    if (a->cls == 2 && frng_permille(r, 500)) {
      do
        b->ratio = draw_ratio(r);
      while (b->ratio == a->ratio);
    } else if (a->cls == 2) {
      b->cls = frng_permille(r, 700) ? 1 : 3;
      b->ratio = 0;
    } else {
      b->cls = frng_permille(r, a->cls == 1 ? 800 : 600) ? 2 : (uint8_t)(4 - a->cls);
      b->ratio = b->cls == 2 ? draw_ratio(r) : 0;
    }
    c->nrows = 2;
  }
}

/* A field, quoted when it needs to be (docs/reference/formats.md §1). */
static char *put_field(char *p, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) return put_str(p, s);
  *p++ = '"';
  for (; *s; s++) {
    if (*s == '"') *p++ = '"';
    *p++ = *s;
  }
  *p++ = '"';
  return p;
}

static char *put_row(char *p, const fcode *c, const frow *w) {
  p = put_str(p, c->code);
  *p++ = ',';
  p = put_field(p, c->name);
  *p++ = ',';
  *p++ = '0';
  *p++ = (char)('0' + w->cls);
  *p++ = ',';
  if (w->cls == 2) {
    const int four = w->ratio % 100 != 0;
    p = put_fixed(p, w->ratio, 4, four ? 4 : 2);
  } else if (w->zero_ratio) {
    *p++ = '0';
  }
  *p++ = ',';
  if (c->limit >= 0) p = put_fixed(p, c->limit, 6, c->limit_dec);
  *p++ = ',';
  p = put_ymd(p, w->begin);
  *p++ = ',';
  if (w->end) p = put_ymd(p, w->end);
  *p++ = '\n';
  return p;
}

/* qsort orders of fcode pointers into one array (ties: array order). */
static int cmp_code(const void *a, const void *b) {
  return strcmp((*(const fcode *const *)a)->code, (*(const fcode *const *)b)->code);
}
static int cmp_ref(const void *a, const void *b) {
  const fcode *x = *(const fcode *const *)a, *y = *(const fcode *const *)b;
  return x->ref < y->ref ? -1 : x->ref > y->ref ? 1 : (x > y) - (x < y);
}

static int build_catalog(sb_feegen *f, FILE *out, const char *path, sb_error *err) {
  rng r;
  frng_seed(&r, f->seed, STREAM_CATALOG, 0);
  int serial[NKIND] = {0};
  f->codes = calloc(NCODES, sizeof *f->codes);
  const fcode **order = malloc(NCODES * sizeof *order);
  char *buf = malloc(OUT_CAP);
  if (!f->codes || !order || !buf) {
    free(order);
    free(buf);
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  const int can_retire = f->year >= 2;
  int nwrite = 0;
  for (int i = 0; i < NCODES; i++) {
    fcode *c = &f->codes[i];
    c->kind = (uint8_t)frng_pick(&r, kind_share, NKIND);
    make_code(&r, c, serial[c->kind]++);
    const int role = i < NLISTED ? 0 : i < NLISTED + NRETIRED && can_retire ? 1 : 2;
    make_rows(&r, c, f->year, role);
    if (role < 2) order[nwrite++] = c;
    if (role == 0) f->nby[c->kind][c->row[0].cls - 1]++;
  }
  f->nunl = NCODES - NLISTED;
  int rc = 0;
  for (int k = 0; k < NKIND && !rc; k++)
    for (int l = 0; l < 3 && !rc; l++) {
      const size_t n = (size_t)(f->nby[k][l] ? f->nby[k][l] : 1);
      f->by[k][l] = malloc(n * sizeof(const fcode *));
      f->ref[k][l] = malloc(n * sizeof(int64_t));
      if (!f->by[k][l] || !f->ref[k][l]) rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
      f->nby[k][l] = 0;
    }
  if (!rc) {
    for (int i = 0; i < NLISTED; i++) {
      const fcode *c = &f->codes[i];
      f->by[c->kind][c->row[0].cls - 1][f->nby[c->kind][c->row[0].cls - 1]++] = c;
    }
    for (int k = 0; k < NKIND; k++)
      for (int l = 0; l < 3; l++) {
        qsort(f->by[k][l], (size_t)f->nby[k][l], sizeof(const fcode *), cmp_ref);
        for (int i = 0; i < f->nby[k][l]; i++)
          f->ref[k][l][i] = f->by[k][l][i]->ref;
      }
    qsort(order, (size_t)nwrite, sizeof *order, cmp_code);
    size_t len = 0;
    uint64_t written = 0;
    len = (size_t)(put_str(buf, "med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,"
                                "begndate,enddate\n") -
                   buf);
    errno = 0;
    for (int n = 0; n < nwrite && !rc; n++) {
      const fcode *c = order[n];
      for (int w = 0; w < c->nrows; w++) {
        if (OUT_CAP - len < 1024) {
          if (fwrite(buf, 1, len, out) != len) rc = -1;
          written += len;
          len = 0;
        }
        len = (size_t)(put_row(buf + len, c, &c->row[w]) - buf);
        f->st.catalog_rows++;
      }
      f->st.catalog_codes++;
    }
    if (!rc && len && fwrite(buf, 1, len, out) != len) rc = -1;
    written += len;
    if (!rc && fflush(out) != 0) rc = -1;
    if (rc) rc = sb_error_set(err, SB_EIO, path, "write failed: %s", strerror(errno ? errno : EIO));
    f->st.catalog_bytes = written;
  }
  free(order);
  free(buf);
  return rc;
}

/* ------------------------------------------------------------------------
** Buckets: anonymous files in the output directory (made, then unlinked at
** once, so that nothing is left behind whatever happens).
*/
static FILE *open_bucket(const char *dir, int k) {
  const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
  char path[4096];
  for (int n = 0; n < 100; n++) {
    int len =
        snprintf(path, sizeof path, "%s%s.fees.csv.part.%ld.%d.%d", dir, sep, (long)getpid(), k, n);
    if (len < 0 || (size_t)len >= sizeof path) {
      errno = ENAMETOOLONG;
      return NULL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return NULL;
    }
    unlink(path);
    FILE *f = fdopen(fd, "w+");
    if (!f) {
      int e = errno;
      close(fd);
      errno = e;
    }
    return f;
  }
  errno = EEXIST;
  return NULL;
}

static void bk_flush(sb_feegen *f, bucket *b) {
  if (b->len && !f->err) {
    errno = 0;
    if (fwrite(b->buf, 1, b->len, b->f) != b->len) f->err = errno ? errno : EIO;
  }
  b->len = 0;
}

int sb_feegen_open(sb_feegen **out, uint64_t seed, int year, int share, int errors,
                   int64_t est_claims, FILE *catalog, const char *catalog_path, const char *dir,
                   sb_error *err) {
  *out = NULL;
  sb_feegen *f = calloc(1, sizeof *f);
  if (!f) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  f->seed = seed;
  f->year = year;
  f->share = share < 0 ? 0 : share > 100 ? 100 : share;
  f->errors = errors;
  int rc = build_catalog(f, catalog, catalog_path, err);
  if (rc) {
    sb_feegen_free(f);
    return rc;
  }
  /* about 150 bytes of lines a claim, 32 MiB a bucket */
  const int64_t est = (est_claims > 0 ? est_claims : 1) / 100 * f->share * 150;
  int64_t nbk = est / (32 << 20) + 1;
  f->nbk = (int)(nbk > 200 ? 200 : nbk);
  f->bk = calloc((size_t)f->nbk, sizeof *f->bk);
  if (!f->bk) rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  for (int k = 0; k < f->nbk && !rc; k++) {
    f->bk[k].buf = malloc(BK_CAP);
    if (!f->bk[k].buf) {
      rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
      break;
    }
    f->bk[k].f = open_bucket(dir, k);
    if (!f->bk[k].f)
      rc = sb_error_set(err, SB_EIO, dir, "cannot create a temporary file here: %s",
                        strerror(errno));
  }
  if (rc) {
    sb_feegen_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

/* ------------------------------------------------------------------------
** Lines.
*/
typedef struct fline {
  const fcode *c;
  int64_t cnt; /* 1/10000 */
  int64_t pric;
  int cdec, pdec; /* decimals to print */
  int64_t amt;    /* fen */
} fline;

static int64_t amount(int64_t cnt, int64_t pric) {
  sb_fee_amounts a;
  if (sb_fee_classify(NULL, cnt, pric, &a) != 0) return SB_MONEY_MAX; /* never here */
  return a.amt;
}

/* Index of the first of the sorted v[0..n) that is >= x. */
static int lower(const int64_t *v, int n, int64_t x) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (v[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* A code for a line aiming at t fen: one whose usual price fits a count of
** 1 to the kind's maximum, or failing that the nearest. */
static const fcode *pick_code(const sb_feegen *f, rng *r, int vt, int64_t t) {
  const int kind = frng_pick(r, line_kind_w[vt], NKIND);
  const int64_t tm = t * 10000; /* micro-yuan */
  if (frng_permille(r, unlisted_pm[vt])) {
    const fcode *c = NULL;
    for (int k = 0; k < 6; k++) {
      c = &f->codes[NLISTED + (int)rng_below(r, (uint32_t)f->nunl)];
      if (c->ref <= tm + tm / 2 && c->ref * max_cnt[c->kind] >= tm) break;
    }
    return c;
  }
  int cls = frng_pick(r, use_cls_w[vt], 3);
  for (int k = 0; k < 2 && f->nby[kind][cls] == 0; k++)
    cls = (cls + 1) % 3;
  const fcode *const *v = f->by[kind][cls];
  const int n = f->nby[kind][cls];
  if (n == 0) return &f->codes[0]; /* a kind without codes: not with 6,000 of them */
  const int64_t *pr = f->ref[kind][cls];
  const int lo = lower(pr, n, (tm + max_cnt[kind] - 1) / max_cnt[kind]);
  const int hi = lower(pr, n, tm + tm / 2 + 1);
  if (lo < hi) return v[lo + (int)rng_below(r, (uint32_t)(hi - lo))];
  return v[hi > 0 ? hi - 1 : 0];
}

/* Line aiming at t fen, to come to at most `room` fen (room >= 1 unless the
** claim is already over); the last line comes to t = room exactly. */
static void make_line(const sb_feegen *f, rng *r, int vt, int lv, int64_t t, int64_t room, int last,
                      fline *L) {
  const fcode *c = L->c = pick_code(f, r, vt, t);
  int64_t p = c->ref * frng_in(r, 900, 1100) / 1000;
  if (c->kind == K_SERV) p = p * lv_pct[lv] / 100;
  int over = 0;
  if (c->limit >= 0) {
    if (frng_permille(r, over_pm[vt])) {
      over = 1;
      p = c->limit + c->limit * frng_in(r, 20, 300) / 1000 + 1;
    } else if (p > c->limit) {
      p = c->limit;
    }
  }
  if (p < 10) p = 10;
  static const int cdecs[3] = {1, 2, 4};
  L->cdec = frng_permille(r, c->kind == K_HERB ? 400 : 80) ? cdecs[rng_below(r, 3)] : 0;
  const int64_t unit = P10[4 - L->cdec];
  const int64_t tt = t > 0 ? t : 1;
  int64_t cnt = (tt * 100000000 + p / 2) / p; /* 1/10000 */
  cnt = (cnt + unit / 2) / unit * unit;
  if (cnt < unit) cnt = unit;
  const int64_t cap = (last ? 9999 : max_cnt[c->kind]) * 10000;
  if (cnt > cap) cnt = cap / unit * unit;
  static const uint16_t pdec_w[3] = {60, 20, 20};
  static const int pdecs[3] = {2, 4, 6};
  L->pdec = pdecs[frng_pick(r, pdec_w, 3)];
  if (last && room >= 1) { /* the price that makes the claim add up, in as few decimals as do */
    const int64_t exact = (room * 100000000 + cnt / 2) / cnt;
    for (L->pdec = 2;; L->pdec += 2) {
      const int64_t m = P10[6 - L->pdec];
      p = (exact + m / 2) / m * m;
      if (L->pdec == 6 || (p > 0 && amount(cnt, p) == room)) break;
    }
  } else {
    const int64_t m = P10[6 - L->pdec];
    int64_t pr = (p + m / 2) / m * m;
    if (pr == 0) {
      pr = p;
      L->pdec = 6;
    }
    if (c->limit >= 0 && !over && pr > c->limit) {
      pr = c->limit;
      L->pdec = 6;
    } else if (c->limit >= 0 && over && pr <= c->limit) {
      pr = c->limit + 1;
      L->pdec = 6;
    }
    p = pr;
  }
  L->cnt = cnt;
  L->pric = p;
  L->amt = amount(cnt, p);
  if (L->amt > room) { /* too much: fewer, or a lower price */
    if (room < 1) {
      L->cnt = 10000, L->cdec = 0, L->pric = 10000, L->pdec = 2; /* 0.01 */
    } else {
      int64_t c2 = room * 100000000 / p / unit * unit;
      if (c2 >= unit) {
        L->cnt = c2;
      } else {
        L->cnt = unit;
        L->pric = room * 100000000 / unit;
        L->pdec = 6;
      }
    }
    L->amt = amount(L->cnt, L->pric);
  }
}

/* Deliberate defects (--fee-errors), one kind per spoiled line. */
enum { E_CNT5, E_PRIC7, E_NOCODE, E_NEGCNT, E_DUPSN, E_FIELDS, E_HUGE, E_STRAY, NERR };

static void write_line(sb_feegen *f, int b, const char *id, size_t id_len, int sn, const fline *L,
                       int defect) {
  bucket *bk = &f->bk[b];
  if (BK_CAP - bk->len < BK_LINE) bk_flush(f, bk);
  char *q = bk->buf + bk->len;
  memcpy(q, id, id_len);
  q += id_len;
  if (defect == E_STRAY) q = put_str(q, "-R"); /* an id no claims row has */
  *q++ = ',';
  q = put_uint(q, (uint64_t)sn, 1);
  *q++ = ',';
  if (defect != E_NOCODE) {
    memcpy(q, L->c->code, L->c->len);
    q += L->c->len;
  }
  *q++ = ',';
  if (defect == E_NEGCNT) {
    q = put_str(q, "-1");
  } else if (defect == E_HUGE) {
    q = put_str(q, "10000000000");
  } else if (defect == E_CNT5) {
    q = put_fixed(q, L->cnt, 4, 4);
    *q++ = '1';
  } else if (L->cdec == 0) {
    q = put_uint(q, (uint64_t)(L->cnt / 10000), 1);
    const int64_t v = L->cnt / 10000 % 20; /* now and then written with decimals */
    if (v == 7) q = put_str(q, ".00");
    if (v == 13) q = put_str(q, ".0000");
  } else {
    q = put_fixed(q, L->cnt, 4, L->cdec);
  }
  *q++ = ',';
  q = put_fixed(q, defect == E_HUGE ? 2000000 : L->pric, 6, L->pdec);
  if (defect == E_PRIC7) /* seven decimals or more */
    q = put_str(q, L->pdec == 6 ? "5" : L->pdec == 4 ? "005" : "00005");
  if (defect == E_FIELDS) q = put_str(q, ",x");
  *q++ = '\n';
  bk->len = (size_t)(q - bk->buf);
  f->st.lines++;
}

int sb_feegen_claim(sb_feegen *f, uint64_t seq, const char *id, size_t id_len, int vt, int lv,
                    int64_t med) {
  if (vt < 0 || vt > 2 || lv < 0 || lv > 4 || id_len > 64) return 0;
  rng r;
  frng_seed(&r, f->seed, STREAM_CLAIM, seq);
  if ((int)rng_below(&r, 100) >= f->share) return 0;
  const int keep = rng_below(&r, 1000000) < 500 && f->errors;
  int n;
  if (vt != 2) {
    n = 1 + frng_pick(&r, few_lines_w[vt], 5);
  } else { /* more lines for dearer stays */
    const int lo = med < 500000 ? 10 : med < 2000000 ? 15 : med < 8000000 ? 25 : 35;
    const int hi = med < 500000 ? 25 : med < 2000000 ? 40 : med < 8000000 ? 55 : 60;
    n = (int)frng_in(&r, lo, hi);
  }
  uint32_t w[60];
  uint64_t wsum = 0;
  for (int i = 0; i < n; i++) {
    const uint32_t u = 1 + rng_below(&r, 20);
    w[i] = u * u;
    wsum += w[i];
  }
  int64_t rest = med;
  for (int i = 0; i < n; i++) {
    const uint32_t roll = rng_below(&r, 1000000);
    const int last = i == n - 1;
    const int64_t t = last ? rest : (int64_t)((uint64_t)(rest > 0 ? rest : 0) * w[i] / wsum);
    wsum -= w[i];
    fline L;
    make_line(f, &r, vt, lv, t, last ? rest : rest - (n - 1 - i), last, &L);
    rest -= L.amt;
    const int b = (int)rng_below(&r, (uint32_t)f->nbk);
    int defect = -1, sn = i + 1;
    if (f->errors && roll < 1000) {
      defect = (int)(roll % NERR);
      if (defect == E_DUPSN) {
        if (n < 2)
          defect = E_CNT5;
        else
          sn = i == 0 ? 2 : 1;
      }
      f->st.bad_lines++;
    }
    if (defect == E_STRAY) {
      write_line(f, b, id, id_len, sn, &L, -1);
      write_line(f, (b + (int)(roll / NERR)) % f->nbk, id, id_len, sn, &L, E_STRAY);
    } else {
      write_line(f, b, id, id_len, sn, &L, defect);
    }
  }
  f->st.claims++;
  if (keep) f->st.kept_amounts++;
  return keep ? 2 : 1;
}

int sb_feegen_failed(const sb_feegen *f) {
  return f->err;
}

/* ------------------------------------------------------------------------
** fees.csv: every bucket read back and shuffled.
*/
int sb_feegen_finish(sb_feegen *f, FILE *fees, const char *fees_path, sb_error *err) {
  static const char header[] = "claim_id,feedetl_sn,med_list_codg,cnt,pric\n";
  char *out = malloc(OUT_CAP);
  if (!out) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  size_t len = sizeof header - 1;
  memcpy(out, header, len);
  uint64_t written = 0;
  int rc = 0, werr = 0;
  char *data = NULL;
  uint64_t *line = NULL; /* offset << 12 | length: a line is shorter than BK_LINE */
  for (int k = 0; k < f->nbk && !rc && !werr; k++) {
    bucket *b = &f->bk[k];
    bk_flush(f, b);
    if (f->err) break;
    errno = 0;
    off_t size = ftello(b->f);
    if (size < 0 || fflush(b->f) != 0 || fseeko(b->f, 0, SEEK_SET) != 0) {
      f->err = errno ? errno : EIO;
      break;
    }
    if (size == 0) continue;
    data = malloc((size_t)size);
    if (!data) {
      rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
      break;
    }
    if (fread(data, 1, (size_t)size, b->f) != (size_t)size) {
      f->err = errno ? errno : EIO;
      break;
    }
    const char *const e = data + size;
    size_t n = 0;
    for (const char *s = data; s < e; s = (const char *)memchr(s, '\n', (size_t)(e - s)) + 1)
      n++;
    line = malloc((n ? n : 1) * sizeof *line);
    if (!line) {
      rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
      break;
    }
    size_t m = 0;
    for (const char *s = data, *t; s < e; s = t + 1) {
      t = memchr(s, '\n', (size_t)(e - s));
      line[m++] = (uint64_t)(s - data) << 12 | (uint64_t)(t + 1 - s);
    }
    rng r;
    frng_seed(&r, f->seed, STREAM_SHUFFLE, (uint64_t)k);
    for (size_t i = m; i > 1; i--) {
      const size_t j = i <= UINT32_MAX ? rng_below(&r, (uint32_t)i) : rng_next(&r) % i;
      const uint64_t t = line[i - 1];
      line[i - 1] = line[j];
      line[j] = t;
    }
    for (size_t i = 0; i < m && !werr; i++) {
      const char *s = data + (line[i] >> 12);
      const size_t l = (size_t)(line[i] & 0xFFF);
      if (OUT_CAP - len < l) {
        errno = 0;
        if (fwrite(out, 1, len, fees) != len) werr = errno ? errno : EIO;
        written += len;
        len = 0;
      }
      memcpy(out + len, s, l);
      len += l;
    }
    free(line);
    line = NULL;
    free(data);
    data = NULL;
  }
  if (!rc && !werr && !f->err) {
    errno = 0;
    if (fwrite(out, 1, len, fees) != len || fflush(fees) != 0) werr = errno ? errno : EIO;
    written += len;
  }
  free(line);
  free(data);
  free(out);
  if (!rc && f->err)
    rc = sb_error_set(err, SB_EIO, fees_path, "a temporary file failed: %s", strerror(f->err));
  else if (!rc && werr)
    rc = sb_error_set(err, SB_EIO, fees_path, "write failed: %s", strerror(werr));
  f->st.fees_bytes = written;
  return rc;
}

void sb_feegen_get_stats(const sb_feegen *f, sb_feegen_stats *st) {
  *st = f->st;
}

void sb_feegen_free(sb_feegen *f) {
  if (!f) return;
  for (int k = 0; f->bk && k < f->nbk; k++) {
    if (f->bk[k].f) fclose(f->bk[k].f);
    free(f->bk[k].buf);
  }
  free(f->bk);
  for (int k = 0; k < NKIND; k++)
    for (int l = 0; l < 3; l++) {
      free((void *)f->by[k][l]);
      free(f->ref[k][l]);
    }
  free(f->codes);
  free(f);
}
