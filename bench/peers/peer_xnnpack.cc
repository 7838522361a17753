// XNNPACK (libxnnpack-dev, Debian 12's 2022 snapshot): the softmax_nc_f32
// operator, created per (rows, n) and run without a thread pool (null
// pthreadpool: the calling thread alone).
#include <xnnpack.h>

#include "bench/peers/peers_internal.h"

namespace softcheck::peers {
namespace {

struct Operator {
  xnn_operator_t op = nullptr;
  size_t n = 0;
  ~Operator() {
    if (op != nullptr) xnn_delete_operator(op);
  }
};

void Check(xnn_status status, const char* what) {
  if (status != xnn_status_success) PeerFailed("xnnpack", what, status);
}

}  // namespace

void XnnpackSoftmaxBatch(const float* x, float* y, size_t rows, size_t n) {
  if (rows == 0 || n == 0) return;
  static const xnn_status init = xnn_initialize(nullptr);
  Check(init, "xnn_initialize");
  thread_local Operator cached;
  if (cached.op == nullptr || cached.n != n) {
    if (cached.op != nullptr) xnn_delete_operator(cached.op);
    cached.op = nullptr;
    Check(xnn_create_softmax_nc_f32(n, n, n, 0, &cached.op),
          "xnn_create_softmax_nc_f32");
    cached.n = n;
  }
  Check(xnn_setup_softmax_nc_f32(cached.op, rows, x, y, nullptr),
        "xnn_setup_softmax_nc_f32");
  Check(xnn_run_operator(cached.op, nullptr), "xnn_run_operator");
}

}  // namespace softcheck::peers
