package spacelift

import rego.v1

protected_types := {"aws_db_instance", "aws_s3_bucket"}

deny contains sprintf("refusing to delete %s (%s)", [rc.address, rc.type]) if {
	some rc in input.terraform.resource_changes
	"delete" in rc.change.actions
	rc.type in protected_types
}

warn contains sprintf("large change: %d resources", [n]) if {
	n := count(input.terraform.resource_changes)
	n > 10
}
