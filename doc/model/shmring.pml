/*
 * shmring.pml - shmring's sleep/wake and lifecycle protocol, for spin.
 *
 * doc/model/README.md is the essay: what each step stands for in lib/*.c,
 * the properties and why spin checks them soundly, and the results.
 * Every step that stands for a line of C carries a marker comment of the
 * form "model: <label>" (tests/model-sync.sh compares the set with lib/).
 * Steps of the kernel (exit-time undo) are marked "kernel:" instead.
 *
 * One Promela step is one atomic event of the real system: one system
 * call (a whole semop), or one load, store or exchange of a shared word.
 * Loads and stores are sequentially consistent: the Dekker pairs of
 * wait.c are seq-cst or membarrier-fenced, and every other shared field
 * is only touched under its side's lock.
 *
 * Configurations (spin -D...):
 *   default      2 shared writers + 1 exclusive reader; writer 0 sends
 *                NMSG0 messages, writer 1 NMSG1 (0: it opens and closes)
 *   W0_EXCL      writer 0 exclusive (holds PLOCK from open to close)
 *   CONFIG_B     1 exclusive writer (NMSG0 messages) + 2 shared readers
 *   CAP          ring capacity in records
 *   MAXCRASH     SIGKILLs allowed in one run
 *   QUIT         writers may close before their last message, readers
 *                after any message
 *   OLD_CLOSE_ORDER  close leaves the role before the flag wake (hole 1)
 *   TIMEOUT      every sleep may also end by its 1 s timeout
 *   STRAY        a hostile peer may clear a sleep flag once
 *
 * Run pan with -E: a killed process stays frozen where it was (its
 * "provided" clause), so spin's own end-state check would flag it; the
 * judge process below decides instead which blocked processes are right.
 */

#ifndef CAP
#define CAP 1
#endif
#ifndef NMSG0
#define NMSG0 2
#endif
#ifndef NMSG1
#define NMSG1 0
#endif
#ifndef MAXCRASH
#define MAXCRASH 1
#endif

#ifdef CONFIG_B
#define NW 1
#define NR 2
#define W0X 1
#define R0X 0
#define R1X 0
#else
#define NW 2
#define NR 1
#ifdef W0_EXCL
#define W0X 1
#else
#define W0X 0
#endif
#define W1X 0
#define R0X 1
#endif
#define NPROC (NW + NR)

/* st[]: where a process is, for the end-state judge */
#define NEW 0   /* not opened yet */
#define RUN 1   /* running, or blocked in a lock's semop */
#define SLEEP 2 /* blocked in a sleep's semop */
#define DONE 3  /* closed */
#define DEAD 4  /* killed, undo applied */

#define OK 1
#define EAGAIN 2
#define ETIMEDOUT 3

/* The semaphore set */
byte wlock = 1, rlock = 1;
byte writers, readers;
byte data, space;

/* The segment: the ring abstracted to CAP record slots and two
 * free-running record counts (tail - head records queued). */
byte tail, head;
byte buf[CAP];
byte prod_joins, cons_joins;
bit cons_sleeping, prod_sleeping;

/* Per process, indexed by model id (writers 0..NW-1, then readers).
 * The kernel's semadj, in the only shapes the protocol gives it:
 *   att: joined, not yet left: semadj(role) = -1, semadj(wake) = +1
 *   lk:  holds its side's lock: semadj(lock) = +1 */
bit att[NPROC];
bit lk[NPROC];
bit killed[NPROC];
byte st[NPROC];
/* What the handle saw at open (handle.h: *_at_open). */
bit peers_at_open[NPROC];   /* writers (for a reader), readers (for a writer) */
bit backlog_at_open[NPROC]; /* readers only */
byte joins_at_open[NPROC];  /* the other side's joins */

/* Ghosts: not in the system, only for the properties. */
byte last[NW];   /* last sequence number consumed, per writer */
byte ncrash;     /* kills sent */
byte ndead;      /* processes the kernel cleaned up */
byte eos;        /* end-of-stream reports */
byte late;       /* messages published after an end of stream */
bit rlost;       /* a reader died or closed early: messages may stay */

/* Wake the sleeper of a side (wait.c: wake()); @flag is its sleep flag,
 * @sem its wake-up semaphore. */
inline wake(flag, sem)
{
	if
	:: flag == 1 -> /* model: wake_load */
		atomic { got = flag; flag = 0 }; /* model: wake_exchange */
		if
		:: got -> /* model: wake_post */
			/* {sem wait-for-zero nowait, sem +1}: only when none is pending */
			atomic { got = 0; if :: sem == 0 -> sem = 1 :: else fi }
		:: else
		fi
	:: else
	fi
}

/* Take all tokens, one nowait semop at a time (sem.c: shmring__sem_drain). */
inline drain(sem)
{
	do
	:: atomic { sem > 0 -> sem-- }
	:: else -> break
	od
}

/* Trim a wake-up semaphore to at most one token, never to 0: read v, then
 * {sem -v nowait, sem +1}, which applies only while sem >= v and leaves 1
 * when nothing moved (more if a token was posted since, never 0). */
inline trim(sem)
{
	atomic { v = sem; if :: v < 2 -> v = 0 :: else fi }; /* model: join_trim */
	if
	:: v >= 2 -> atomic { if :: sem >= v -> sem = sem - v + 1 :: else fi; v = 0 }
	:: else
	fi
}

/* SIGKILL: the process stops at once and the kernel applies its semadj
 * (exit_sem), to all the semaphores of the set in one step. Nothing the
 * process does after the signal is visible, so the killer does both. */
inline kill_one(p)
{
	atomic { /* kernel: undo */
		ncrash < MAXCRASH && st[p] < DONE ->
		killed[p] = 1; ncrash++; ndead++; st[p] = DEAD;
		if
		:: p < NW ->
			if :: att[p] -> assert(writers > 0); writers--; data++ :: else fi;
			if :: lk[p] -> assert(wlock == 0); wlock++ :: else fi
		:: else ->
			rlost = 1;
			if :: att[p] -> assert(readers > 0); readers--; space++ :: else fi;
			if :: lk[p] -> assert(rlock == 0); rlock++ :: else fi
		fi;
		att[p] = 0; lk[p] = 0;
		assert(data <= 1 + ndead && space <= 1 + ndead)
	}
}

/* send.c: publish_tail(): the records, then the tail. A check that finds
 * room (or data, for consume_rec) stays true until the lock holder acts
 * on it, so the check and the act are one step. */
inline publish_rec()
{
	buf[tail % CAP] = me * 8 + seq + 1; /* model: publish_index */
	tail++; seq++;
	if :: eos > 0 -> late++ :: else fi
}

/* recv.c: publish_head(): the record is delivered, the head moves. */
inline consume_rec()
{
	rec = buf[head % CAP]; /* model: consume_index */
	assert(rec % 8 == last[rec / 8] + 1); /* once, in order, no gap */
	last[rec / 8] = rec % 8;
	head++; rec = 0
}

proctype writer(byte me; bit excl; byte nmsg) provided (!killed[me])
{
	bit expd, got;
	byte rc, v, seq;

	{
	/* open.c: shmring__open_shmid, then side.c: shmring__side_join() */
	atomic { joins_at_open[me] = cons_joins; peers_at_open[me] = (readers > 0); st[me] = RUN }; /* model: open_snapshot */
	atomic { writers++; att[me] = 1 }; /* model: join_role */
	prod_joins++; /* model: join_joins */
	trim(data);
	if
	:: excl ->
end_wlock_excl:
		atomic { wlock > 0 -> wlock--; lk[me] = 1 } /* model: lock_excl */
	:: else
	fi;

	do
	:: seq < nmsg ->
		if
		:: !excl ->
lock_retry:
			/* {PLOCK -1 undo, READERS -1 nowait, READERS +1}: blocks
			 * while PLOCK is taken (its op comes first), then fails
			 * at once if no reader is attached and one is expected. */
			atomic { expd = peers_at_open[me] || cons_joins != joins_at_open[me]};
end_wlock:
			if /* model: lock_shared */
			:: atomic { wlock > 0 && (!expd || readers > 0) ->
				wlock--; lk[me] = 1; expd = 0 }
			:: atomic { wlock > 0 && expd && readers == 0 -> expd = 0 };
				if /* model: lock_epipe */
				:: readers == 0 -> goto close
				:: else -> goto lock_retry
				fi
			fi
		:: else
		fi;

		/* send.c: make_room() */
		if
		:: atomic { tail - head < CAP -> publish_rec() }; goto published /* model: send_room */
		:: else ->
wsleep:
			/* wait.c: shmring__wait_for(), the writers */
			prod_sleeping = 1; /* model: wsleep_announce */
			if
			:: atomic { tail - head < CAP -> prod_sleeping = 0 }; goto room /* model: wsleep_recheck */
			:: else
			fi;
			atomic { expd = peers_at_open[me] || cons_joins != joins_at_open[me]; st[me] = SLEEP }; /* model: wsleep_expect */
end_wsleep:
			if /* model: wsleep_wait */
			:: atomic { expd && readers == 0 -> rc = EAGAIN; expd = 0; st[me] = RUN }
			:: atomic { (!expd || readers > 0) && space > 0 ->
				space--; rc = OK; expd = 0; st[me] = RUN }
#ifdef TIMEOUT
			:: atomic { rc = ETIMEDOUT; expd = 0; st[me] = RUN }
#endif
			fi;
			if
			:: atomic { rc == EAGAIN -> rc = 0; prod_sleeping = 0 }; /* model: wsleep_epipe */
				goto epipe
			:: atomic { rc != EAGAIN && tail - head < CAP -> rc = 0; prod_sleeping = 0 }; /* model: wsleep_woken */
				goto room
			:: atomic { rc != EAGAIN && tail - head == CAP -> rc = 0 }; /* model: wsleep_drain */
				drain(space);
				goto wsleep
			fi
		fi;
room:
		/* send.c: publish_tail(): the records, then the tail */
		atomic { publish_rec() };
published:
		wake(cons_sleeping, data); /* model: publish_wake */
		if
		:: !excl -> atomic { wlock++; lk[me] = 0 } /* model: unlock_shared */
		:: else
		fi
#ifdef QUIT
	:: seq < nmsg -> break /* the application closes early */
#endif
	:: else -> break
	od;
	goto close;
epipe:
	if
	:: !excl -> atomic { wlock++; lk[me] = 0 } /* model: unlock_shared */
	:: else
	fi;
close:
	/* close.c: shmring__handle_release() */
#ifndef OLD_CLOSE_ORDER
	wake(cons_sleeping, data); /* model: close_wake */
	atomic { writers--; att[me] = 0 }; /* model: close_leave */
#else
	atomic { writers--; att[me] = 0 };
	wake(cons_sleeping, data);
#endif
	atomic { /* model: close_unlock */
		if :: lk[me] -> wlock++; lk[me] = 0 :: else fi;
		st[me] = DONE
	}
	}
}

proctype reader(byte me; bit excl) provided (!killed[me])
{
	bit expd, got;
	byte rc, v, rec;

	{
	atomic { /* model: open_snapshot */
		joins_at_open[me] = prod_joins;
		peers_at_open[me] = (writers > 0);
		backlog_at_open[me] = (tail != head);
		st[me] = RUN
	};
	atomic { readers++; att[me] = 1 }; /* model: join_role */
	cons_joins++; /* model: join_joins */
	trim(space);
	if
	:: excl ->
end_rlock_excl:
		atomic { rlock > 0 -> rlock--; lk[me] = 1 } /* model: lock_excl */
	:: else
	fi;

	do
	:: if
		:: !excl ->
end_rlock:
			atomic { rlock > 0 -> rlock--; lk[me] = 1 } /* model: lock_shared */
		:: else
		fi;

		/* recv.c: next_message() */
		if
		:: atomic { tail != head -> consume_rec() }; goto consumed /* model: recv_ready */
		:: else
		fi;
rsleep:
		/* wait.c: shmring__wait_for(), the readers */
		cons_sleeping = 1; /* model: rsleep_announce */
		if
		:: atomic { tail != head -> cons_sleeping = 0 }; goto consume /* model: rsleep_recheck */
		:: else
		fi;
		atomic { /* model: rsleep_expect */
			expd = peers_at_open[me] || backlog_at_open[me] || prod_joins != joins_at_open[me];
			st[me] = SLEEP
		};
end_rsleep:
		/* expected: {WRITERS -1 nowait, WRITERS +1, DATA -1}; else {DATA -1} */
		if /* model: rsleep_wait */
		:: atomic { expd && writers == 0 -> rc = EAGAIN; expd = 0; st[me] = RUN }
		:: atomic { (!expd || writers > 0) && data > 0 ->
			data--; rc = OK; expd = 0; st[me] = RUN }
#ifdef TIMEOUT
		:: atomic { rc = ETIMEDOUT; expd = 0; st[me] = RUN }
#endif
		fi;
		if
		:: atomic { rc != EAGAIN && tail != head -> rc = 0; cons_sleeping = 0 } /* model: rsleep_woken */
		:: atomic { rc == EAGAIN -> rc = 0; cons_sleeping = 0 }; /* model: rsleep_end */
			if
			:: tail != head
			:: atomic { tail == head -> eos++ }; goto at_eos
			fi
		:: atomic { rc != EAGAIN && tail == head -> rc = 0 }; /* model: rsleep_drain */
			drain(data);
			goto rsleep
		fi;
consume:
		/* recv.c: publish_head(): the record is delivered, the head moves */
		atomic { consume_rec() };
consumed:
		wake(prod_sleeping, space); /* model: consume_wake */
		if
		:: !excl -> atomic { rlock++; lk[me] = 0 } /* model: unlock_shared */
		:: else
		fi;
#ifdef QUIT
		if
		:: rlost = 1; goto close /* the application closes early */
		:: skip
		fi
#endif
	od;
at_eos:
	if
	:: !excl -> atomic { rlock++; lk[me] = 0 } /* model: unlock_shared */
	:: else
	fi;
close:
#ifndef OLD_CLOSE_ORDER
	wake(prod_sleeping, space); /* model: close_wake */
	atomic { readers--; att[me] = 0 }; /* model: close_leave */
#else
	atomic { readers--; att[me] = 0 };
	wake(prod_sleeping, space);
#endif
	atomic { /* model: close_unlock */
		if :: lk[me] -> rlock++; lk[me] = 0 :: else fi;
		st[me] = DONE
	}
	}
}

#ifdef STRAY
/* A hostile peer's stray store: clears a sleep flag once. */
active proctype stray()
{
	if
	:: cons_sleeping = 0
	:: prod_sleeping = 0
	:: skip
	fi
}
#endif

/* SIGKILL, at most MAXCRASH times, at any step of a live process. */
active proctype killer()
{
	do
	:: kill_one(0)
	:: kill_one(1)
	:: kill_one(2)
	:: break
	od
}

/* The end-state judge: when nothing can move, every process is closed,
 * dead, or blocked where blocking forever is right. */
#define expected_writers(p) (peers_at_open[p] || backlog_at_open[p] || prod_joins != joins_at_open[p])
#define expected_readers(p) (peers_at_open[p] || cons_joins != joins_at_open[p])
#define rsleep_ok(p) (tail == head && !(expected_writers(p) && writers == 0))
#define wsleep_ok(p) (tail - head == CAP && !(expected_readers(p) && readers == 0))
#define lockw_ok(p) ((p < NW && wlock == 0) || (p >= NW && rlock == 0))
#define quiet_ok(p) (st[p] == DONE || st[p] == DEAD || \
		     (st[p] == SLEEP && (p < NW -> wsleep_ok(p) : rsleep_ok(p))) || \
		     (st[p] == RUN && lockw_ok(p)))

active proctype judge()
{
	timeout ->
	assert(quiet_ok(0) && quiet_ok(1) && quiet_ok(2));
	/* Nothing published is left behind, unless a reader was lost or it
	 * came after an end of stream (a ring outlives its sessions). */
	assert(rlost || tail - head <= late);
	assert(data <= 1 + ndead && space <= 1 + ndead)
}

init
{
	atomic {
		run writer(0, W0X, NMSG0);
#if NW > 1
		run writer(1, W1X, NMSG1);
#endif
		run reader(NW, R0X);
#if NR > 1
		run reader(NW + 1, R1X);
#endif
	}
}
