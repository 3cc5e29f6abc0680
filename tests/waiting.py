"""Wait for a condition, never for a fixed time: a test goes on the moment what it waits for is
true, and fails with what it saw if that never comes."""
import time


def wait_until(condition, timeout: float = 5.0, every: float = 0.005):
    """Call `condition` until it returns something true, and return that; after `timeout` seconds,
    fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {getattr(condition, '__name__', condition)}")
        time.sleep(every)
