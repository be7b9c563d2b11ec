/* Private C boundary between SbClient (C++) and Open vSwitch's ovsdb-idl (C).
 *
 * sb_idl.c and sb_idl_rows.c are the only translation units that include Open vSwitch
 * headers: they are C, not C++, and they override some kernel headers (include/linux). This
 * header carries no OVS type: rows are handed to the caller as plain views whose pointers stay
 * valid only during the callback (they point into the IDL's replica, which the next run() may
 * change).
 *
 * Besides reading, this layer is where the client acts as a chassis (as ovn-controller's
 * controller/chassis.c and binding.c do): the caller states what it wants (its Chassis
 * configuration, the ports it claims) and every run() reconciles the database with that
 * wish in one non-blocking transaction at a time. */
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

struct scs_sb_idl_options {
    int ovs_log;                 /* non-zero: Open vSwitch's warnings on stderr */
    int monitor_all;             /* non-zero: no monitor conditions (ovn-monitor-all) */
    const char *ssl_private_key; /* for ssl: remotes; NULL when unused */
    const char *ssl_certificate;
    const char *ssl_ca_cert;
};

/* Creates a client for `remote` ("unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT", or several of
 * them comma-separated for a clustered database). Open vSwitch's log is off (process-wide)
 * unless `ovs_log`. SSL files are process-wide in Open vSwitch. Returns NULL and fills `err`
 * (always NUL-terminated) when the remote cannot be parsed or an ssl: remote lacks its
 * files. Never blocks: connecting happens in run(). */
struct scs_sb_idl *scs_sb_idl_create(const char *remote, const struct scs_sb_idl_options *,
                                     char *err, size_t err_len);
void scs_sb_idl_destroy(struct scs_sb_idl *);

/* Processes whatever the connection delivered, updates monitor conditions, and advances the
 * chassis transaction (reconciles the database with set_chassis/set_claims); never blocks. */
void scs_sb_idl_run(struct scs_sb_idl *);
/* Blocks until run() has work or `timeout_ms` passed (OVS poll loop of the calling thread). */
void scs_sb_idl_wait(struct scs_sb_idl *, int timeout_ms);

struct scs_sb_status {
    int connected;          /* a session is up */
    int ever_connected;
    unsigned int seqno;     /* changes whenever the replica changes (including reconnects) */
    int last_error;         /* 0, a positive errno value, or EOF */
    const char *txn_error;  /* last failed chassis transaction, "" when the last one worked */
    int txn_pending;        /* a chassis transaction is in flight or wanted */
    int chassis_present;    /* our Chassis and Chassis_Private rows are in the replica */
};
void scs_sb_idl_status(const struct scs_sb_idl *, struct scs_sb_status *);
const char *scs_sb_strerror(int error);

/* ---- Monitor scope (ovn-controller's update_sb_monitors()) ---- */

/* Logical_Flow, Port_Binding, Multicast_Group, MAC_Binding, Static_MAC_Binding and
 * Logical_DP_Group rows are monitored only for these datapaths; Port_Binding also for these
 * logical ports (and ports whose parent they are), for patch/chassisredirect/external ports,
 * and for ports bound to, requested by, or gateway-scheduled on our chassis. Copies its
 * arguments. Ignored (everything monitored) when created with monitor_all. */
void scs_sb_idl_set_scope(struct scs_sb_idl *, const struct scs_sb_uuid *datapaths,
                          size_t n_datapaths, const char *const *ports, size_t n_ports);

/* ---- Acting as a chassis ---- */

struct scs_sb_chassis_config {
    const char *name;
    const char *hostname;
    const char *const *encap_types;  /* e.g. {"geneve"}; one Encap row each */
    size_t n_encap_types;
    const char *encap_ip;
    const char *const *encap_options;      /* key, value, key, value, ... */
    size_t n_encap_options;                /* number of keys */
    const char *const *other_config;       /* key, value, ... */
    size_t n_other_config;
    const char *const *external_ids;       /* key, value, ... */
    size_t n_external_ids;
};
/* Stores the wish; run() creates or updates Chassis, Encap and Chassis_Private rows and
 * re-creates them whenever the database lost them. */
void scs_sb_idl_set_chassis(struct scs_sb_idl *, const struct scs_sb_chassis_config *);

/* Port_Binding.chassis = ours for `ports` (up = true for those also in `up_ports`, false
 * otherwise); ports bound to our chassis and not listed are released (chassis = [],
 * up = false). */
void scs_sb_idl_set_claims(struct scs_sb_idl *, const char *const *ports, size_t n_ports,
                           const char *const *up_ports, size_t n_up_ports);

/* Chassis_Private.nb_cfg (and nb_cfg_timestamp) = `nb_cfg`: what ovn-controller reports once
 * it has applied SB_Global.nb_cfg, and what `ovn-nbctl --wait=hv` waits for. */
void scs_sb_idl_set_nb_cfg(struct scs_sb_idl *, int64_t nb_cfg);

/* Releases every port bound to us and deletes our Chassis and Chassis_Private rows, driving
 * the IDL until the database confirms it or `timeout_ms` passes. Blocks. Returns 0, or an
 * errno-style value with `err` filled. The client stays usable (set_chassis again). */
int scs_sb_idl_release_all(struct scs_sb_idl *, int timeout_ms, char *err, size_t err_len);

/* ---- Change tracking ---- */

enum scs_sb_change_kind {
    SCS_SB_CHANGE_LFLOW,        /* datapath given */
    SCS_SB_CHANGE_PORT,         /* datapath given */
    SCS_SB_CHANGE_MCGROUP,      /* datapath given */
    SCS_SB_CHANGE_MAC_BINDING,  /* datapath given */
    SCS_SB_CHANGE_DATAPATH,     /* datapath given (the Datapath_Binding row itself) */
    SCS_SB_CHANGE_CHASSIS,      /* Chassis or Encap */
    SCS_SB_CHANGE_ADDRESS_SET,
    SCS_SB_CHANGE_PORT_GROUP,
    SCS_SB_CHANGE_SB_GLOBAL,
    SCS_SB_CHANGE_GATEWAY,      /* Gateway_Chassis, HA_Chassis, HA_Chassis_Group */
    SCS_SB_CHANGE_FDB,          /* FDB (rows name their datapath by tunnel key) */
    SCS_SB_CHANGE_FULL_RESYNC,  /* (re)connected: everything may have changed */
};
typedef void (*scs_sb_change_fn)(void *ctx, enum scs_sb_change_kind,
                                 const struct scs_sb_uuid *datapath /* may be NULL */);
/* The changed rows themselves, for keeping a copy of the replica up to date without
 * copying it whole: each tracked row with its current contents, or with a NULL view when it
 * was deleted or left the monitor scope. Declared after the views below. */
struct scs_sb_row_fns;
/* Reports the rows changed since the previous call (inserted, modified or deleted, including
 * rows entering or leaving the monitor scope), then forgets them. `rows` may be NULL. */
void scs_sb_idl_take_changes(struct scs_sb_idl *, scs_sb_change_fn,
                             const struct scs_sb_row_fns *rows, void *ctx);

/* ---- Reading the replica ---- */

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
    const char *requested_chassis;     /* NULL when none */
    const struct scs_sb_map *options;
    const struct scs_sb_map *external_ids;
    const char *const *mac;
    size_t n_mac;
    const char *const *port_security;
    size_t n_port_security;
    const char *ha_chassis_group;      /* NULL when none */
    int has_tag;
    int64_t tag;
    const char *parent_port;           /* NULL when none */
    int has_up;
    int up;
    size_t n_gateway_chassis;
    const void *row_;                  /* for scs_sb_port_gateway() */
};
/* Gateway chassis i of a port: from Gateway_Chassis rows if any, else the members of its
 * HA_Chassis_Group. `chassis` is "" when the member's Chassis row is gone. */
void scs_sb_port_gateway(const struct scs_sb_port_view *, size_t i, const char **chassis,
                         int64_t *priority);

struct scs_sb_encap_view {
    const char *type;
    const char *ip;
    const struct scs_sb_map *options;
};

struct scs_sb_chassis_view {
    struct scs_sb_uuid uuid;
    const char *name;
    const char *hostname;
    const struct scs_sb_map *other_config;
    const struct scs_sb_map *external_ids;
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

struct scs_sb_mcgroup_view {
    struct scs_sb_uuid uuid;
    int has_datapath;
    struct scs_sb_uuid datapath;
    const char *name;
    int64_t tunnel_key;
    size_t n_ports;
    const void *row_;                  /* for scs_sb_mcgroup_port() */
};
const char *scs_sb_mcgroup_port(const struct scs_sb_mcgroup_view *, size_t i);

/* Address_Set and Port_Group: a name and a set of strings. */
struct scs_sb_named_set_view {
    const char *name;
    const char *const *items;
    size_t n_items;
};

/* MAC_Binding and Static_MAC_Binding rows. */
struct scs_sb_mac_binding_view {
    const char *logical_port;
    const char *ip;
    const char *mac;
    int has_datapath;
    struct scs_sb_uuid datapath;
};

struct scs_sb_row_fns {
    void (*lflow)(void *ctx, const struct scs_sb_uuid *, const struct scs_sb_lflow_view *);
    void (*port)(void *ctx, const struct scs_sb_uuid *, const struct scs_sb_port_view *);
    void (*mcgroup)(void *ctx, const struct scs_sb_uuid *, const struct scs_sb_mcgroup_view *);
    /* A Logical_DP_Group row inserted, modified or deleted: its flows' member lists. */
    void (*dp_group)(void *ctx, const struct scs_sb_uuid *);
};

typedef void (*scs_sb_datapath_fn)(void *ctx, const struct scs_sb_datapath_view *);
typedef void (*scs_sb_port_fn)(void *ctx, const struct scs_sb_port_view *);
typedef void (*scs_sb_chassis_fn)(void *ctx, const struct scs_sb_chassis_view *);
typedef void (*scs_sb_lflow_fn)(void *ctx, const struct scs_sb_lflow_view *);
typedef void (*scs_sb_mcgroup_fn)(void *ctx, const struct scs_sb_mcgroup_view *);
typedef void (*scs_sb_named_set_fn)(void *ctx, const struct scs_sb_named_set_view *);
typedef void (*scs_sb_mac_binding_fn)(void *ctx, const struct scs_sb_mac_binding_view *);

/* FDB rows: a MAC learned on a port (put_fdb), by datapath and port tunnel key. */
struct scs_sb_fdb_view {
    const char *mac;
    int64_t dp_key;
    int64_t port_key;
};
typedef void (*scs_sb_fdb_fn)(void *ctx, const struct scs_sb_fdb_view *);

void scs_sb_idl_for_each_datapath(const struct scs_sb_idl *, scs_sb_datapath_fn, void *ctx);
void scs_sb_idl_for_each_port(const struct scs_sb_idl *, scs_sb_port_fn, void *ctx);
void scs_sb_idl_for_each_chassis(const struct scs_sb_idl *, scs_sb_chassis_fn, void *ctx);
void scs_sb_idl_for_each_lflow(const struct scs_sb_idl *, scs_sb_lflow_fn, void *ctx);
void scs_sb_idl_for_each_mcgroup(const struct scs_sb_idl *, scs_sb_mcgroup_fn, void *ctx);
void scs_sb_idl_for_each_address_set(const struct scs_sb_idl *, scs_sb_named_set_fn,
                                     void *ctx);
void scs_sb_idl_for_each_port_group(const struct scs_sb_idl *, scs_sb_named_set_fn,
                                    void *ctx);
/* MAC_Binding rows, then Static_MAC_Binding rows. */
void scs_sb_idl_for_each_mac_binding(const struct scs_sb_idl *, scs_sb_mac_binding_fn,
                                     void *ctx);
void scs_sb_idl_for_each_fdb(const struct scs_sb_idl *, scs_sb_fdb_fn, void *ctx);
/* SB_Global:options of the (single) SB_Global row; NULL when there is none. */
const struct scs_sb_map *scs_sb_idl_sb_global_options(const struct scs_sb_idl *);
/* SB_Global:nb_cfg; 0 when there is no SB_Global row. */
int64_t scs_sb_idl_sb_global_nb_cfg(const struct scs_sb_idl *);

#ifdef __cplusplus
}
#endif

#endif /* SCS_OVSDB_SB_IDL_H */
