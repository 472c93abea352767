// A pause in a spin-wait loop: tells the CPU the loop is waiting (a
// hyperthread sibling gets the core, the loop's exit is not mispredicted).
#pragma once

namespace ot {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace ot
