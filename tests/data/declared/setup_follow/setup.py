import os
from setuptools import setup, find_packages

here = os.path.abspath(os.path.dirname(__file__))

with open(os.path.join(here, 'requirements.txt')) as f:
    requirements = f.read().splitlines()

setup(
    name='follow',
    packages=find_packages(),
    install_requires=requirements,
    extras_require={'viz': ['matplotlib>=2.0']},
)
