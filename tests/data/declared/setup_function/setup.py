from setuptools import setup


def read_requirements(name):
    with open(name) as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith('#')]


config = dict(
    name='fn',
    install_requires=read_requirements('requirements/base.txt'),
    python_requires='>=3.5',
)
setup(**config)
