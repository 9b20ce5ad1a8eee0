# A thin wrapper over CMake + Ninja and the scripts; the scripts are the truth.
.PHONY: all demo test bench bench-server clean
all:
	sh scripts/deps.sh && sh scripts/build.sh build
demo:
	sh scripts/demo.sh
test:
	sh scripts/test.sh
bench:
	sh scripts/bench.sh
bench-server:
	sh scripts/bench-server.sh
clean:
	rm -rf build build-asan build-bench out
