import sys

from cinesearch.cli import main

sys.exit(main())
