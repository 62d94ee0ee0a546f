/* shm.h - atomic access to fields of the shared segment. Every use says
 * which order and why. */
#ifndef SHMRING_SHM_H
#define SHMRING_SHM_H

#define shm_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define shm_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define shm_load_seq(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define shm_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define shm_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define shm_store_seq(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define shm_exchange(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)

#endif
