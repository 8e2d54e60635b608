package spacelift

import rego.v1

track if input.push.branch == input.stack.branch

propose if not track
