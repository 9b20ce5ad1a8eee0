# A thin wrapper over CMake + Ninja and the scripts; the scripts are the truth.
# Plain `make` only builds: it installs nothing (`make deps` does, with apt-get).
.PHONY: all deps demo test bench bench-server clean
all:
	sh scripts/build.sh build
deps:
	sh scripts/deps.sh
demo:
	sh scripts/demo.sh
test:
	sh scripts/test.sh
bench:
	sh scripts/bench.sh
bench-server:
	sh scripts/bench-server.sh
clean:
	rm -rf build build-asan build-tsan build-bench out
