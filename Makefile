# A thin wrapper over CMake + Ninja and the scripts; the scripts are the truth.
.PHONY: all demo test bench clean
all:
	sh scripts/deps.sh && sh scripts/build.sh build
demo:
	sh scripts/demo.sh
test:
	sh scripts/test.sh
bench:
	sh scripts/bench.sh
clean:
	rm -rf build build-asan build-bench out
