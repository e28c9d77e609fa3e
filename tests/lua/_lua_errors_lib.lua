-- A helper module for sandbox_ok.lua (files starting with '_' are not scenarios).
return { answer = 42 }
