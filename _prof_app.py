import os
from pyinstrument import Profiler
p = Profiler(interval=0.0005)
p.start()
try:
    exec(compile(open("app.py").read(), os.path.abspath("app.py"), "exec"))
finally:
    p.stop()
    if os.environ.get("PROF_OUT"):
        with open(os.environ["PROF_OUT"], "a") as f:
            f.write(p.output_text(unicode=False, color=False))
