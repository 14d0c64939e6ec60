"""Runs one tests/test_*.py module with unittest and prints a "PASS name" or
"FAIL name: why" line per test, the lines `./waf test` counts."""
import importlib.util
import os
import sys
import unittest


class LineResult(unittest.TextTestResult):
    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        print("PASS %s" % test.id().split(".")[-1], flush=True)

    def _fail(self, test: unittest.TestCase, err) -> None:
        message = self._exc_info_to_string(err, test).strip().splitlines()
        print("%s" % "\n".join(message), flush=True)
        print("FAIL %s: %s" % (test.id().split(".")[-1], message[-1]), flush=True)

    def addFailure(self, test, err) -> None:
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err) -> None:
        super().addError(test, err)
        self._fail(test, err)


def main(path: str) -> int:
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    runner = unittest.TextTestRunner(stream=open(os.devnull, "w"), resultclass=LineResult)
    result = runner.run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
