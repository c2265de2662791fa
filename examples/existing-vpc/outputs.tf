output "private_subnet_ids" {
  description = "The private subnets, now tagged for the cluster."
  value       = module.network.private_subnet_ids
}

output "target_group_arns" {
  description = "API target groups for the machine modules."
  value       = module.cluster_infra.target_group_arns
}

output "master_security_group_id" {
  description = "Master security group."
  value       = module.security.master_security_group_id
}
