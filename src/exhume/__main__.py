from exhume.cli import main_entry

main_entry()
