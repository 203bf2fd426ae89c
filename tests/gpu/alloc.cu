// Holds a known amount of GPU memory for the real-GPU test (run_on_gpu.sh):
//
//   alloc MIB [TIMEOUT_S]
//
// cudaMalloc's MIB MiB, writes every byte, prints "ready PID" and waits: SIGUSR1 frees the memory and
// destroys the CUDA context (the process then holds nothing on the GPU) and prints "freed"; SIGTERM or
// SIGINT ends it; so does TIMEOUT_S (default 600) without a signal, so that a test that died leaves
// nothing behind. Exit status: 0 on a signal, 1 on a CUDA error, 2 on bad arguments, 3 on the timeout.
#include <cuda_runtime.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace {

bool check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return true;
  std::fprintf(stderr, "alloc: %s failed: %s\n", what, cudaGetErrorString(status));
  return false;
}

bool parse(const char* text, unsigned long long& value) {
  char* end = nullptr;
  errno = 0;
  value = std::strtoull(text, &end, 10);
  return errno == 0 && end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long long mib = 0;
  unsigned long long timeout_s = 600;
  if (argc < 2 || argc > 3 || !parse(argv[1], mib) || mib == 0 || (argc == 3 && !parse(argv[2], timeout_s))) {
    std::fprintf(stderr, "usage: alloc MIB [TIMEOUT_S]\n");
    return 2;
  }
  // Blocked before CUDA starts its threads, so that they inherit the mask and sigtimedwait gets them all.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);

  void* memory = nullptr;
  const size_t bytes = static_cast<size_t>(mib) << 20;
  if (!check(cudaMalloc(&memory, bytes), "cudaMalloc")) return 1;
  if (!check(cudaMemset(memory, 0x5a, bytes), "cudaMemset")) return 1;
  if (!check(cudaDeviceSynchronize(), "cudaDeviceSynchronize")) return 1;
  std::printf("ready %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);

  const time_t deadline = time(nullptr) + static_cast<time_t>(timeout_s);
  for (;;) {
    const time_t now = time(nullptr);
    if (now >= deadline) {
      std::fprintf(stderr, "alloc: no signal within %llu s; exiting\n", timeout_s);
      return 3;
    }
    timespec wait{deadline - now, 0};
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    if (signal == SIGUSR1 && memory) {
      if (!check(cudaFree(memory), "cudaFree")) return 1;
      memory = nullptr;
      if (!check(cudaDeviceReset(), "cudaDeviceReset")) return 1;
      std::printf("freed\n");
      std::fflush(stdout);
    } else if (signal == SIGTERM || signal == SIGINT) {
      return 0;
    }
  }
}
