-- A file that loads itself for ever: the C stack overflows inside dofile, a C function.
dofile("err_dofile_recursion.lua")
