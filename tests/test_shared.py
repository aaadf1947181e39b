"""Results computed once per server and handed to every session (ui/shared.py)."""

import threading
import time

import numpy as np

from ui.shared import shared


def slow_square(calls: list, value: int) -> np.ndarray:
    calls.append(value)
    time.sleep(0.2)
    return np.array([value * value])


def test_sessions_asking_at_once_wait_for_one_computation_and_get_a_read_only_result():
    calls, results = [], []
    threads = [
        threading.Thread(target=lambda: results.append(shared(("once",), slow_square, calls, 3))) for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [3] and all(r is results[0] for r in results)
    assert not results[0].flags.writeable
    assert shared(("other",), slow_square, calls, 4)[0] == 16 and calls == [3, 4]
