"""Every e2e job ran on a strict emulator (emulator/strict.py, faults.py) and survived its faults.

The flows' applies, reviews, day 2 and teardowns pass on an emulator that refuses
what AWS refuses and throttles as a busy account does: these tests show that the
faults were there, several on every service each job calls, and that a retry got
each one through (the counts are also in the run's summary lines).
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# The services every job calls: through terraform (the provider, the S3 backend) and the SDK.
EVERY_JOB = {"ec2", "elasticloadbalancing", "iam", "route53", "s3"}


def test_every_job_met_several_faults_on_every_service_it_calls(injected_faults):
    assert set(injected_faults) >= {"external", "brownfield", "consumer", "reliability"}
    assert "cloudfront" in injected_faults["external"]  # the issuer behind CloudFront (credentials tier)
    assert "kms" in injected_faults["brownfield"]  # the handed key (e2e/brownfield.py)
    for job, counts in injected_faults.items():
        assert EVERY_JOB <= set(counts), f"{job}: no fault for {sorted(EVERY_JOB - set(counts))}"
        assert all(counts[service]["injected"] >= 3 for service in EVERY_JOB), f"{job}: {counts}"


def test_every_fault_was_survived(injected_faults, killed):
    """All but those a stopped process could not retry: the reliability job's kill (and its SIGINT
    case) leave such calls unanswered, counted right after the kill (e2e/kill.py)."""
    for job, counts in injected_faults.items():
        lost = sum(c["injected"] - c["survived"] for c in counts.values())
        assert lost == (killed.unanswered_faults if job == "reliability" else 0), f"{job}: {counts}"
