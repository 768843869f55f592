import sys

from hiworkbook.cli import main

sys.exit(main())
