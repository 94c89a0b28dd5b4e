// jemalloc's settings for the binaries that link //common/allocator:jemalloc. jemalloc reads
// this symbol when it starts (before main, and before the MALLOC_CONF environment variable,
// which can still override any of it).
//
// background_thread:true: a thread of jemalloc's own gives unused dirty pages back to the system
// after dirty_decay_ms (10 s by default) even when the process is idle, as after a flood of
// sessions; without it jemalloc purges only while the program allocates, and a quiet server kept
// a flood's memory (docs/operations.md, "Allocator"). The trimmer (common/psk_server/
// heap_trimmer.h) still purges at once when a flood ends.
extern "C" {
__attribute__((used, visibility("default"))) const char* malloc_conf = "background_thread:true";
}
