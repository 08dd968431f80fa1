from xijin.cli import main

main()
