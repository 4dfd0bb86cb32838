"""The frame format between grader and child: what goes in comes out, and a frame a hostile
child forged is refused (ValueError) rather than trusted, allocated or unpickled."""

import json
import struct

import numpy as np
import pytest

from autograder import references
from autograder.cases import load_cases
from autograder.child import wire
from autograder.execute import collect, plan_for

CASES = load_cases()


def frame(header, body=b""):
    """A hand-made frame payload (no length prefix)."""
    text = json.dumps(header).encode()
    return struct.pack(">I", len(text)) + text + body


def test_round_trip_keeps_values_shapes_and_dtypes():
    arrays = {"scalar": np.float64(2.5), "vector": np.arange(3.0),
              "mask": np.array([True, False, True]), "counts": np.arange(6).reshape(2, 3),
              "empty": np.zeros((0, 4)),
              "strided": np.arange(12.0).reshape(3, 4)[:, ::2]}
    (meta, back), = wire.split_frames(wire.encode({"case": "c", "n": [1, None]}, arrays))
    assert meta == {"case": "c", "n": [1, None]}
    assert list(back) == list(arrays)
    for name, value in arrays.items():
        assert back[name].dtype == np.asarray(value).dtype
        np.testing.assert_array_equal(back[name], value)
        assert back[name].flags.writeable and back[name].flags.aligned


def test_frames_follow_each_other_and_a_truncated_tail_is_dropped():
    stream = wire.encode({"k": 1}) + wire.encode({"k": 2}, {"x": np.ones(5)})
    assert [m["k"] for m, _ in wire.split_frames(stream)] == [1, 2]
    assert len(wire.payloads(stream)) == 2
    assert [m["k"] for m, _ in wire.split_frames(stream[:-3])] == [1]
    assert len(wire.payloads(stream[:-3])) == 1


def test_only_plain_numeric_dtypes_travel():
    with pytest.raises(TypeError):
        wire.encode({}, {"x": np.ones(2, dtype=np.float32)})
    with pytest.raises(TypeError):
        wire.encode({}, {"x": np.array([object()])})


@pytest.mark.parametrize("header, body", [
    ({"meta": {}, "arrays": [["x", "|O", [1]]]}, b"\0" * 8),          # object array
    ({"meta": {}, "arrays": [["x", "<f4", [1]]]}, b"\0" * 8),          # not an allowed dtype
    ({"meta": {}, "arrays": [["x", "<f8", [-1]]]}, b"\0" * 8),         # negative size
    ({"meta": {}, "arrays": [["x", "<f8", [1.5]]]}, b"\0" * 8),        # not an integer
    ({"meta": {}, "arrays": [["x", "<f8", [3]]]}, b"\0" * 16),         # runs past the end
    ({"meta": {}, "arrays": [["x", "<f8", [10**6, 10**6]]]}, b"\0" * 8),  # huge, not allocated
])
def test_forged_frames_are_refused(header, body):
    with pytest.raises(ValueError):
        wire.decode(frame(header, body))


def test_each_case_trusts_only_its_own_well_formed_frame():
    cases = [c for c in CASES if c.function == "sgd_step"][:4]
    arrays = references.load()
    expected = {c.id: references.split(arrays, c.id, "expected") for c in cases}
    keys = plan_for(cases, expected)

    def frame_of(case, claimed_id=None):
        trace = {f"param/{p}": np.zeros((case.steps, *spec["shape"]))
                 for p, spec in keys[case.id].items()}
        meta = {"case": claimed_id or case.id, "completed": case.steps, "error": None}
        return wire.payloads(wire.encode(meta, trace))[0]

    frames = [frame_of(cases[0]), b"\x00\x00\x00\x02{}", frame_of(cases[2], cases[0].id)]
    runs = collect([(c, keys[c.id]) for c in cases], frames, True, None, 3.0)
    assert runs[cases[0].id].error is None and runs[cases[0].id].completed == cases[0].steps
    assert runs[cases[1].id].error == {"kind": "malformed"}    # not a frame
    assert runs[cases[2].id].error == {"kind": "malformed"}    # another case's frame
    assert runs[cases[3].id].error == {"kind": "timeout", "exit_code": None, "seconds": 3.0}


def test_hidden_cases_follow_the_public_ones_and_each_case_gets_its_own_inputs_only():
    """Public cases first; hidden ones gated behind them, sent as a frame of more cases that
    carries no source; no request holds an array; each case's inputs travel in a frame of
    their own."""
    from autograder.execute import run_submission

    cases = [c for c in CASES if c.function in ("sgd_step", "adam_step")]
    arrays = references.load()
    keys = plan_for(cases, {c.id: references.split(arrays, c.id, "expected") for c in cases})
    plan = {}
    for case in cases:
        plan.setdefault(case.function, []).append((case, keys[case.id]))
    by_id = {c.id: c for c in cases}

    class Recorder:
        timeout, sent = 1.0, []

        def run(self, groups, make_request, gated=()):
            order = list(groups)
            cut = min(i for i, key in enumerate(order) if key in gated)
            assert all(key in gated for key in order[cut:])
            for keys, more in ((order[:cut], False), (order[cut:], True)):
                ids = [i for key in keys for i in groups[key]]
                request, inputs = make_request(keys, not more, more)
                (meta, request_arrays), = wire.split_frames(request)
                assert request_arrays == {} and [c["id"] for c in meta["cases"]] == ids
                assert ("source" in meta) is not more
                for case_id, frame in zip(ids, inputs, strict=True):
                    (_, sent), = wire.split_frames(frame)
                    own = references.split(arrays, case_id, "inputs")
                    assert set(sent) == set(own)
                    assert all(np.array_equal(sent[k], own[k]) for k in own)
                self.sent.append({by_id[i].public for i in ids})
            return {key: ([], False, 0) for key in groups}, None

    run_submission("", plan, arrays, Recorder())
    assert Recorder.sent == [{True}, {False}]      # public first, then the hidden ones


FORGED = [None, 7, 1.5, True, "x" * 10_000, [1], ["a", "b"], {"a": 1}, [[1, 2]], {}]


@pytest.mark.parametrize("field", ["kind", "step", "param", "type", "message", "frames",
                                   "what", "dtype", "got", "expected", "key", "present",
                                   "state_empty"])
def test_a_forged_error_record_is_rebuilt_not_trusted(field):
    """Every field of a child's error record, forged as every JSON type: the trusted side
    rebuilds a record of known kind and plain fields, and never raises."""
    from autograder import untrusted

    case = next(c for c in CASES if c.public and c.problem == "stream")
    keys = {"vector": {"shape": [4], "keys": ["momentum_buffer"]}}
    for kind in sorted(untrusted.KINDS) + ["malformed"]:
        for value in FORGED:
            raw = {"kind": kind, "step": 1, "param": "vector", "key": "momentum_buffer",
                   "got": [4], "expected": [4], field: value}
            out = untrusted.error(raw, case, keys, 10, {"sgd_step"})
            assert out["kind"] in untrusted.KINDS | {"malformed"}
            json.dumps(out, allow_nan=False)
            for text in (v for v in out.values() if isinstance(v, str)):
                assert len(text) <= untrusted.MESSAGE_CHARS + 1
    for value in FORGED:
        assert isinstance(untrusted.warnings([{"line": 1, "type": value, "message": value,
                                               "frames": value}], 10, {"f"}), list)
        assert isinstance(untrusted.answers({"q": value}, ["q"]), dict)
