// Probe for //tests/deploy:runtime_libs_test: linked (with --no-as-needed) against every system library
// the services use, so `ldd` on it lists every shared library the runtime image must provide.
int main() { return 0; }
