-- Check messages that would break a TAP stream: a directive, a newline, backslashes.
ksim.world{}
ksim.check(false, "the failure stays a failure # TODO hidden")
ksim.check(false, "one line\nok 99 - injected")
ksim.check(false, "a backslash before \\# TODO still escaped")
