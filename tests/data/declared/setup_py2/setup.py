from distutils.core import setup
import sys

if sys.version_info[0] > 2:
    print "This package needs Python 2"
    sys.exit(1)

setup(name='old',
      version='0.1',
      install_requires=['theano==0.9.0', 'lasagne'],
      classifiers=['Programming Language :: Python :: 2.7'])
