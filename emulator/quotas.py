"""Service Quotas for the quotas a cluster uses, and S3's bucket-owner condition: moto lacks both.

moto's Service Quotas knows the `vpc` service's defaults only, has no
GetAWSDefaultServiceQuota, and keeps no applied values. AWS (Service Quotas API
reference): GetAWSDefaultServiceQuota gives a quota's default; GetServiceQuota gives
the value applied to the account, which is the default until an increase is granted.
QUOTAS holds the defaults AWS documents for the five quotas `main.py doctor` reads
(docs.aws.amazon.com: "Amazon VPC quotas", "Amazon EC2 service quotas", "Quotas for
your Network Load Balancers"); `set_quota` stands for a granted increase (or, below
the default, an account held lower), per account and region, as tests prepare one.

moto's HeadBucket ignores `x-amz-expected-bucket-owner`; AWS answers 403 when the
bucket belongs to another account (S3 API reference, "Verifying bucket ownership").
"""
from __future__ import annotations

import json
from typing import Any

# (service, code) -> (name, AWS's default value)
QUOTAS = {
    ("vpc", "L-F678F1CE"): ("VPCs per Region", 5.0),
    ("vpc", "L-FE5A380F"): ("NAT gateways per Availability Zone", 5.0),
    ("ec2", "L-0263D0A3"): ("EC2-VPC Elastic IPs", 5.0),
    ("elasticloadbalancing", "L-69A177A2"): ("Network Load Balancers per Region", 50.0),
    ("ec2", "L-1216C47A"): ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 5.0),
}
APPLIED: dict[tuple[str, str, str, str], float] = {}  # (account, region, service, code) -> applied value


def set_quota(account: str, region: str, service: str, code: str, value: float) -> None:
    APPLIED[(account, region, service, code)] = value


def _quota(account: str, region: str, service: str, code: str, applied: bool) -> dict[str, Any] | None:
    if (service, code) not in QUOTAS:
        return None
    name, default = QUOTAS[(service, code)]
    value = APPLIED.get((account, region, service, code), default) if applied else default
    return {"ServiceCode": service, "QuotaCode": code, "QuotaName": name, "Value": value, "Adjustable": True,
            "GlobalQuota": False, "QuotaArn": f"arn:aws:servicequotas:{region}:{account if applied else ''}:"
                                              f"{service}/{code}"}


def apply_quotas() -> None:
    from moto.s3.responses import S3Response
    from moto.servicequotas.exceptions import NoSuchResource
    from moto.servicequotas.responses import ServiceQuotasResponse

    def answer(self: ServiceQuotasResponse, applied: bool) -> str:
        params = json.loads(self.body)
        quota = _quota(self.current_account, self.region, str(params.get("ServiceCode")),
                       str(params.get("QuotaCode")), applied)
        if quota is None:
            raise NoSuchResource
        return json.dumps({"Quota": quota})

    ServiceQuotasResponse.get_service_quota = lambda self: answer(self, True)
    ServiceQuotasResponse.get_aws_default_service_quota = lambda self: answer(self, False)

    head_bucket = S3Response.head_bucket

    def owner_checked(self: S3Response) -> Any:
        expected = self.headers.get("x-amz-expected-bucket-owner")
        if expected:
            bucket = self.backend.buckets.get(self.bucket_name)
            if bucket is None:
                from moto.s3.models import s3_backends

                bucket = next((found for account in s3_backends.values() for backend in account.values()
                               for found in [backend.buckets.get(self.bucket_name)] if found), None)
            if bucket is not None and bucket.account_id != expected:
                return 403, {}, ""
        return head_bucket(self)

    S3Response.head_bucket = owner_checked
