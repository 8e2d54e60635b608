package spacelift

import rego.v1

test_deny_protected_delete if {
	msgs := deny with input as {"terraform": {"resource_changes": [
		{"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "change": {"actions": ["delete"]}},
	]}}
	msgs == {"refusing to delete aws_s3_bucket.logs (aws_s3_bucket)"}
}

test_create_is_fine if {
	count(deny) == 0 with input as {"terraform": {"resource_changes": [
		{"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "change": {"actions": ["create"]}},
	]}}
}

test_warn_many_changes if {
	changes := [{"address": sprintf("null_resource.r%d", [i]), "type": "null_resource", "change": {"actions": ["create"]}} | some i in numbers.range(1, 11)]
	count(warn) == 1 with input as {"terraform": {"resource_changes": changes}}
}
