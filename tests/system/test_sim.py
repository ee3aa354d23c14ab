"""`hotline sim`: a scenario file through the live routing code on a virtual clock.
Where theory is exact (one queue, Poisson arrivals, exponential handle times, no
abandonment) the simulated service level and ASA must match Erlang C from the shared
reference vectors."""

import csv
import json
import subprocess

from conftest import HOTLINE, SOURCE_DIR

ERLANG_C = SOURCE_DIR.parent / "shared" / "testdata" / "wfm" / "erlang_c.csv"


def sim(*args):
    return subprocess.run([HOTLINE, "sim", *args], capture_output=True, text=True, timeout=120)


def reference_row(case_id, agents, target_s):
    with open(ERLANG_C, newline="") as f:
        for row in csv.DictReader(f):
            if row["case_id"] == case_id and int(row["agents"]) == agents \
                    and float(row["target_s"]) == target_s:
                return row
    raise AssertionError(f"no row {case_id}/{agents}/{target_s} in {ERLANG_C}")


def test_simulation_agrees_with_erlang_c(tmp_path):
    # C0077: 100 calls per 30 min, AHT 180 s (10 Erlangs); 13 agents, 20 s target.
    ref = reference_row("C0077", 13, 20)
    calls, interval_s, aht_s = int(ref["calls"]), int(ref["interval_s"]), int(ref["aht_s"])
    scenario = tmp_path / "erlang.yaml"
    scenario.write_text(f"""
seed: 11
interval: {interval_s}s
warmup: 2h
queues:
  q: {{ strategy: longest-idle, service_level: {int(float(ref["target_s"]))}s }}
agents:
  agent: {{ count: {ref["agents"]}, queues: [q] }}
traffic:
  q: {{ arrivals: [{", ".join([str(calls)] * 96)}], handle_time: exponential {aht_s}s }}
""")
    r = sim(str(scenario), "--format", "json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    total = report["total"]
    assert total["offered"] > 8000
    assert total["abandoned"] == 0
    assert report["refused_inputs"] == 0
    # ~9,000 calls, strongly correlated within busy periods: a few points of SL.
    assert abs(total["service_level"] - float(ref["service_level"])) < 0.03, total
    assert abs(total["asa_s"] - float(ref["asa_s"])) < 0.25 * float(ref["asa_s"]), total
    assert abs(report["occupancy"] - float(ref["occupancy"])) < 0.02, report["occupancy"]


def test_example_scenario_runs_in_every_format():
    example = SOURCE_DIR / "config" / "sim" / "two-queues.yaml"
    table = sim(str(example))
    assert table.returncode == 0, table.stderr
    assert "total" in table.stdout and "sales" in table.stdout
    csv_out = sim(str(example), "--format", "csv", "--report", "queues")
    assert csv_out.returncode == 0, csv_out.stderr
    rows = list(csv.DictReader(csv_out.stdout.splitlines()))
    assert [row["queue"] for row in rows] == ["sales", "support"]
    # The queue rows add up to the total.
    report = json.loads(sim(str(example), "--format", "json").stdout)
    for key in ("offered", "answered", "abandoned", "called_back"):
        assert sum(int(row[key]) for row in rows) == report["total"][key], key


def test_same_seed_same_answer_other_seed_other_answer():
    example = str(SOURCE_DIR / "config" / "sim" / "two-queues.yaml")
    a = sim(example, "--format", "json", "--seed", "5")
    b = sim(example, "--format", "json", "--seed", "5")
    c = sim(example, "--format", "json", "--seed", "6")
    assert a.returncode == b.returncode == c.returncode == 0
    assert a.stdout == b.stdout
    assert a.stdout != c.stdout


def test_a_bad_scenario_names_file_line_and_column(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("queues:\n  sales: { strategy: roundrobin }\n"
                        "traffic:\n  sales: { calls_per_hour: 10 }\n")
    r = sim(str(scenario))
    assert r.returncode == 2
    assert f"{scenario}:2:" in r.stderr
    assert "did you mean 'round-robin'" in r.stderr
    assert sim(str(tmp_path / "missing.yaml")).returncode == 2
