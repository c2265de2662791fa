"""Every e2e job ran on a strict emulator (emulator/strict.py, faults.py) and survived its faults.

The flows' applies, reviews, day 2 and teardowns pass on an emulator that refuses
what AWS refuses and throttles as a busy account does: these tests show that the
faults were there, on every service the job used, and that a retry got each one
through (the counts are also in the run's summary line).
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# The services every job calls: through terraform (the provider, the S3 backend) and the SDK.
EVERY_JOB = {"ec2", "elasticloadbalancing", "iam", "route53", "s3", "sts"}
# The reliability job kills or interrupts terraform twice (SIGINT, SIGKILL): a fault answered to a
# process that was stopped before its retry is never retried, by design.
STOPPED_PROCESSES = {"reliability": 2}


def test_every_job_met_faults_on_every_service_it_calls(injected_faults):
    assert set(injected_faults) >= {"external", "brownfield", "consumer", "reliability"}
    for job, counts in injected_faults.items():
        assert EVERY_JOB <= set(counts), f"{job}: no fault for {sorted(EVERY_JOB - set(counts))}"
        assert all(c["injected"] >= 3 for service, c in counts.items() if service in EVERY_JOB), f"{job}: {counts}"


def test_every_fault_was_survived(injected_faults):
    for job, counts in injected_faults.items():
        lost = sum(c["injected"] - c["survived"] for c in counts.values())
        assert lost <= STOPPED_PROCESSES.get(job, 0), f"{job}: {lost} fault(s) never retried: {counts}"
