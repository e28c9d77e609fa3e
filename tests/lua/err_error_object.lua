-- An error value that is not a string still says where it was raised.
ksim.world{}
error({ code = 42 })
