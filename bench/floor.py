"""The floor every synthesis pays: import the AWS bindings, synthesize one empty stack."""
import sys
import tempfile

from modules.constructs.cdk import App, TerraformStack  # the package sets the environment the project runs with

from cdktf_cdktf_provider_aws.provider import AwsProvider  # loads the 400 MB assembly

with tempfile.TemporaryDirectory() as outdir:
    app = App(outdir=outdir)
    AwsProvider(TerraformStack(app, "empty"), "aws", region="us-east-1")
    app.synth()
sys.exit(0)
