from gradio_lossless.cli import main

raise SystemExit(main())
