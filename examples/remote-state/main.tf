# Reading an applied tier's outputs from another Terraform repository: the
# network tier of a cluster that `python main.py apply` (or `cdktf deploy`)
# created keeps its state at <key_prefix>/<cluster_name>/network/terraform.tfstate
# in the state bucket.

terraform {
  required_version = ">= 1.5"
}

data "terraform_remote_state" "network" {
  backend = "s3"
  config = {
    bucket         = var.state_bucket
    key            = "${var.key_prefix}/${var.cluster_name}/network/terraform.tfstate"
    region         = var.state_region
    endpoints      = var.endpoints
    use_path_style = length(var.endpoints) > 0
  }
}
