/* Private C boundary between SbClient (C++) and Open vSwitch's ovsdb-idl (C).
 *
 * sb_idl.c is the only translation unit that includes Open vSwitch headers: they are C, not
 * C++, and they override some kernel headers (include/linux). This header carries no OVS
 * type: rows are handed to the caller as plain views whose pointers stay valid only during
 * the callback (they point into the IDL's replica, which the next run() may change). */
#ifndef SCS_OVSDB_SB_IDL_H
#define SCS_OVSDB_SB_IDL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct scs_sb_idl;
struct scs_sb_map; /* an OVSDB map column (string -> string) */

struct scs_sb_uuid {
    uint32_t parts[4];
};

typedef void (*scs_sb_kv_fn)(void *ctx, const char *key, const char *value);
void scs_sb_map_for_each(const struct scs_sb_map *, scs_sb_kv_fn, void *ctx);
const char *scs_sb_map_get(const struct scs_sb_map *, const char *key); /* NULL if absent */

/* Creates a client for `remote` ("unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT", or several of
 * them comma-separated for a clustered database). `ovs_log` non-zero keeps Open vSwitch's
 * warnings on stderr; otherwise its log is off (process-wide). Returns NULL and fills `err` (always
 * NUL-terminated) when the remote cannot be parsed. Never blocks: connecting happens in run(). */
struct scs_sb_idl *scs_sb_idl_create(const char *remote, int ovs_log, char *err,
                                     size_t err_len);
void scs_sb_idl_destroy(struct scs_sb_idl *);

/* Processes whatever the connection delivered; never blocks. */
void scs_sb_idl_run(struct scs_sb_idl *);
/* Blocks until run() has work or `timeout_ms` passed (OVS poll loop of the calling thread). */
void scs_sb_idl_wait(struct scs_sb_idl *, int timeout_ms);

struct scs_sb_status {
    int connected;          /* a session is up and the monitor is established */
    int ever_connected;
    unsigned int seqno;     /* changes whenever the replica changes (including reconnects) */
    int last_error;         /* 0, a positive errno value, or EOF */
};
void scs_sb_idl_status(const struct scs_sb_idl *, struct scs_sb_status *);
const char *scs_sb_strerror(int error);

struct scs_sb_datapath_view {
    struct scs_sb_uuid uuid;
    int64_t tunnel_key;
    const struct scs_sb_map *external_ids;
};

struct scs_sb_port_view {
    struct scs_sb_uuid uuid;
    const char *logical_port;
    int64_t tunnel_key;
    int has_datapath;
    struct scs_sb_uuid datapath;
    const char *type;
    const char *chassis_name;          /* NULL when the port is not bound */
    const struct scs_sb_map *options;
};

struct scs_sb_encap_view {
    const char *type;
    const char *ip;
    const struct scs_sb_map *options;
};

struct scs_sb_chassis_view {
    struct scs_sb_uuid uuid;
    const char *name;
    size_t n_encaps;
    const void *row_;                  /* for scs_sb_chassis_encap() */
};
void scs_sb_chassis_encap(const struct scs_sb_chassis_view *, size_t i,
                          struct scs_sb_encap_view *);

struct scs_sb_lflow_view {
    struct scs_sb_uuid uuid;
    int has_datapath;
    struct scs_sb_uuid datapath;
    int has_dp_group;
    struct scs_sb_uuid dp_group;
    size_t n_group_datapaths;
    const char *pipeline;
    int64_t table_id;
    int64_t priority;
    const char *match;
    const char *actions;
    const struct scs_sb_map *external_ids;
    const void *row_;                  /* for scs_sb_lflow_group_datapath() */
};
void scs_sb_lflow_group_datapath(const struct scs_sb_lflow_view *, size_t i,
                                 struct scs_sb_uuid *);

typedef void (*scs_sb_datapath_fn)(void *ctx, const struct scs_sb_datapath_view *);
typedef void (*scs_sb_port_fn)(void *ctx, const struct scs_sb_port_view *);
typedef void (*scs_sb_chassis_fn)(void *ctx, const struct scs_sb_chassis_view *);
typedef void (*scs_sb_lflow_fn)(void *ctx, const struct scs_sb_lflow_view *);

void scs_sb_idl_for_each_datapath(const struct scs_sb_idl *, scs_sb_datapath_fn, void *ctx);
void scs_sb_idl_for_each_port(const struct scs_sb_idl *, scs_sb_port_fn, void *ctx);
void scs_sb_idl_for_each_chassis(const struct scs_sb_idl *, scs_sb_chassis_fn, void *ctx);
void scs_sb_idl_for_each_lflow(const struct scs_sb_idl *, scs_sb_lflow_fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* SCS_OVSDB_SB_IDL_H */
