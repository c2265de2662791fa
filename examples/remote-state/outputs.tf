output "vpc_id" {
  description = "ID of the cluster VPC."
  value       = data.terraform_remote_state.network.outputs.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per AZ."
  value       = data.terraform_remote_state.network.outputs.private_subnet_ids
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per AZ."
  value       = data.terraform_remote_state.network.outputs.public_subnet_ids
}
