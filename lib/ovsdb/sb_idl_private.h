/* Private to the C translation units behind sb_idl.h (sb_idl.c: connection, monitor scope,
 * acting as a chassis; sb_idl_rows.c: change tracking and reading the replica): the client's
 * state and small conversions. Include after <config.h>, like every Open vSwitch header. */
#ifndef SCS_OVSDB_SB_IDL_PRIVATE_H
#define SCS_OVSDB_SB_IDL_PRIVATE_H

#include "sb_idl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal-signal.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb-session.h"
#include "ovn-sb-idl.h"
#include "smap.h"
#include "sset.h"
#include "stream-ssl.h"
#include "stream.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "uuid.h"

/* What the caller wants this chassis to look like in the database (controller/chassis.c of
 * OVN writes the same columns). */
struct chassis_wish {
    char *name;
    char *hostname;
    char *encap_ip;
    struct svec encap_types;    /* sorted, unique */
    struct smap encap_options;
    struct smap other_config;
    struct smap external_ids;
};

struct scs_sb_idl {
    struct ovsdb_idl *idl;
    bool monitor_all;

    /* Monitor scope. */
    struct uuid *datapaths;
    size_t n_datapaths;
    struct sset local_ports;
    bool cond_dirty;
    bool cond_has_chassis;          /* conditions name our Chassis row's UUID */
    struct uuid cond_chassis;
    unsigned int cond_dp_group_seqno;

    /* Chassis wish and claims. */
    bool want_chassis;
    bool releasing;                 /* release_all() in progress */
    struct chassis_wish wish;
    char *chassis_name;             /* ours, kept after release for the conditions */
    struct sset claims;
    struct sset up_ports;
    bool has_nb_cfg;
    int64_t nb_cfg;

    /* The one chassis transaction in flight, and when to reconcile again. */
    struct ovsdb_idl_txn *committing;
    bool write_dirty;
    unsigned int reconciled_seqno;
    long long int retry_at;         /* 0: no retry scheduled */
    char txn_error[256];

    /* Change tracking across runs. */
    bool was_connected;
    bool full_resync;
    bool resync_wait_data;          /* connected; the first replica change is the resync */
    unsigned int connect_seqno;
};

static inline struct scs_sb_uuid
to_uuid(const struct uuid *u)
{
    struct scs_sb_uuid out;
    memcpy(out.parts, u->parts, sizeof out.parts);
    return out;
}

static inline struct uuid
from_scs_uuid(const struct scs_sb_uuid *u)
{
    struct uuid out;
    memcpy(out.parts, u->parts, sizeof out.parts);
    return out;
}

static inline const struct scs_sb_map *
to_map(const struct smap *m)
{
    return (const struct scs_sb_map *) m;
}

#endif /* SCS_OVSDB_SB_IDL_PRIVATE_H */
