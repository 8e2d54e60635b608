package spacelift

import rego.v1

test_track_on_stack_branch if {
	track with input as {"push": {"branch": "main"}, "stack": {"branch": "main"}}
}

# Deliberately wrong expectation: this fixture must be reported as FAIL.
test_deliberately_failing if {
	track with input as {"push": {"branch": "feature"}, "stack": {"branch": "main"}}
}
