"""Every shipped service does work linear in its input, on the inputs an attacker would pick.

A super-linear service lets one cheap call pin a CPU and hold a worker: `text_statistics`
once took over 30 s on "." * 99999 + "a". Each service is run, as a call runs it (schema check,
price, run), on an input at its schema's maximum length and on one eight times shorter, built by
repeating the same unit; linear work takes about 8 times longer on the longer one, quadratic
about 64 times. The ratio is of CPU time of this thread, best of five, so other processes on
the machine move it little: linear services measure 8 to 11 on a quiet machine, and up to 24 was
seen while two test suites and a browser shared its two cores (caches and memory bandwidth are
shared too). The bound (32) sits between that and quadratic growth.
"""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickscale.apps.services import examples
from quickscale.apps.services.registry import registry

SHIPPED = ["text_statistics", "keywords", "sentiment"]
GROWTH = 8
LINEAR_BOUND = 32
ATTEMPTS = 5
# Characters the services' patterns and splits treat specially, and some they do not.
ALPHABET = ".!?' \t\n\r\x0baZzÀÿé0-_,;\u2028\u00a0\U0001f600"
TAILS = ["", "a", " ", ".", "'", "\x00"]


def max_length(service):
    return service.input_schema["properties"]["text"]["maxLength"]


def call_cost(service, text):
    data = {"text": text}
    started = time.thread_time()
    assert not service.validate(data)
    service.cost_for(data)
    service.run(data)
    return time.thread_time() - started


def growth(service, unit, tail):
    large = max_length(service) - len(tail)
    texts = [unit * (size // len(unit)) + tail for size in (large // GROWTH, large)]
    small_cost, large_cost = (
        min(call_cost(service, text) for _ in range(ATTEMPTS)) for text in texts
    )
    return large_cost / max(small_cost, 1e-4)


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize(
    "unit,tail",
    [(".", "a"), ("!", "a"), (".", ""), ("a", "."), ("'", "a"), ("a ", ""), ("a.", "a"), ("é", "")],
)
def test_known_adversarial_inputs_cost_linear_time(name, unit, tail):
    assert growth(registry.get(name), unit, tail) < LINEAR_BOUND


@pytest.mark.parametrize("name", SHIPPED)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.text(alphabet=ALPHABET, min_size=1, max_size=5), tail=st.sampled_from(TAILS))
def test_any_repeated_input_costs_linear_time(name, unit, tail):
    assert growth(registry.get(name), unit, tail) < LINEAR_BOUND


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_service_caps_its_input(name):
    service = registry.get(name)
    too_long = {"text": "a" * (max_length(service) + 1)}
    assert "text" in service.validate(too_long)
    assert max_length(service) <= examples.MAX_TEXT
