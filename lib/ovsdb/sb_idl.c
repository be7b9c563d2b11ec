/* The one translation unit that includes Open vSwitch headers (see sb_idl.h). config.h first:
 * Open vSwitch's headers depend on what its configure found. */
#include <config.h>

#include "sb_idl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb-session.h"
#include "ovn-sb-idl.h"
#include "smap.h"
#include "stream.h"
#include "svec.h"
#include "util.h"
#include "uuid.h"

struct scs_sb_idl {
    struct ovsdb_idl *idl;
};

static struct scs_sb_uuid
to_uuid(const struct uuid *u)
{
    struct scs_sb_uuid out;
    memcpy(out.parts, u->parts, sizeof out.parts);
    return out;
}

static const struct scs_sb_map *
to_map(const struct smap *m)
{
    return (const struct scs_sb_map *) m;
}

void
scs_sb_map_for_each(const struct scs_sb_map *map, scs_sb_kv_fn fn, void *ctx)
{
    const struct smap_node *node;
    SMAP_FOR_EACH (node, (const struct smap *) map) {
        fn(ctx, node->key, node->value);
    }
}

const char *
scs_sb_map_get(const struct scs_sb_map *map, const char *key)
{
    return smap_get((const struct smap *) map, key);
}

/* Monitors only the tables and columns the dataplane reads (OVN's ovn-controller does the
 * same with ovsdb_idl_add_column), so the server does not ship the rest of the database. */
static void
monitor_columns(struct ovsdb_idl *idl)
{
    ovsdb_idl_add_table(idl, &sbrec_table_datapath_binding);
    ovsdb_idl_add_column(idl, &sbrec_datapath_binding_col_tunnel_key);
    ovsdb_idl_add_column(idl, &sbrec_datapath_binding_col_external_ids);

    ovsdb_idl_add_table(idl, &sbrec_table_port_binding);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_logical_port);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_tunnel_key);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_datapath);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_type);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_chassis);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_options);

    ovsdb_idl_add_table(idl, &sbrec_table_chassis);
    ovsdb_idl_add_column(idl, &sbrec_chassis_col_name);
    ovsdb_idl_add_column(idl, &sbrec_chassis_col_encaps);

    ovsdb_idl_add_table(idl, &sbrec_table_encap);
    ovsdb_idl_add_column(idl, &sbrec_encap_col_type);
    ovsdb_idl_add_column(idl, &sbrec_encap_col_ip);
    ovsdb_idl_add_column(idl, &sbrec_encap_col_options);

    ovsdb_idl_add_table(idl, &sbrec_table_logical_dp_group);
    ovsdb_idl_add_column(idl, &sbrec_logical_dp_group_col_datapaths);

    ovsdb_idl_add_table(idl, &sbrec_table_logical_flow);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_logical_datapath);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_logical_dp_group);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_pipeline);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_table_id);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_priority);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_match);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_actions);
    ovsdb_idl_add_column(idl, &sbrec_logical_flow_col_external_ids);
}

/* Every comma-separated remote must be an active stream name; ovsdb-idl would otherwise
 * retry an unusable name forever and only log why. */
static int
verify_remote(const char *remote, char *err, size_t err_len)
{
    struct svec remotes = SVEC_EMPTY_INITIALIZER;
    int error = 0;
    size_t i;
    const char *name;

    struct uuid cid;

    /* The same parser ovsdb-idl uses: comma-separated, optional "cid:UUID," prefix. */
    ovsdb_session_parse_remote(remote, &remotes, &cid);
    if (!remotes.n) {
        snprintf(err, err_len, "empty Southbound remote");
        error = EINVAL;
    }
    SVEC_FOR_EACH (i, name, &remotes) {
        if (error) {
            break;
        }
        if (stream_verify_name(name)) {
            snprintf(err, err_len,
                     "invalid Southbound remote \"%s\" (expected unix:PATH, "
                     "tcp:IP:PORT or ssl:IP:PORT)", name);
            error = EINVAL;
        }
    }
    svec_destroy(&remotes);
    return error;
}

struct scs_sb_idl *
scs_sb_idl_create(const char *remote, int ovs_log, char *err, size_t err_len)
{
    if (err_len) {
        err[0] = '\0';
    }
    /* Library code does not print: Open vSwitch's log is off unless the caller asks for its
     * warnings on stderr. Connection errors reach the caller through scs_sb_idl_status(). */
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    if (ovs_log) {
        vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    }
    if (!remote || verify_remote(remote, err, err_len)) {
        if (!remote) {
            snprintf(err, err_len, "no Southbound remote");
        }
        return NULL;
    }

    struct scs_sb_idl *sb = xzalloc(sizeof *sb);
    /* retry=true: reconnect with backoff forever; the IDL resynchronises its replica (with
     * monitor_cond_since, only the changes) after every reconnect. */
    sb->idl = ovsdb_idl_create(remote, &sbrec_idl_class, false, true);
    /* A reader does not need the RAFT leader: any cluster member serves the monitor
     * (ovn-controller does the same). */
    ovsdb_idl_set_leader_only(sb->idl, false);
    monitor_columns(sb->idl);
    return sb;
}

void
scs_sb_idl_destroy(struct scs_sb_idl *sb)
{
    if (sb) {
        ovsdb_idl_destroy(sb->idl);
        free(sb);
    }
}

void
scs_sb_idl_run(struct scs_sb_idl *sb)
{
    ovsdb_idl_run(sb->idl);
}

void
scs_sb_idl_wait(struct scs_sb_idl *sb, int timeout_ms)
{
    ovsdb_idl_run(sb->idl);
    ovsdb_idl_wait(sb->idl);
    poll_timer_wait(timeout_ms < 0 ? 0 : timeout_ms);
    poll_block();
}

void
scs_sb_idl_status(const struct scs_sb_idl *sb, struct scs_sb_status *st)
{
    st->connected = ovsdb_idl_is_connected(sb->idl);
    st->ever_connected = ovsdb_idl_has_ever_connected(sb->idl);
    st->seqno = ovsdb_idl_get_seqno(sb->idl);
    st->last_error = ovsdb_idl_get_last_error(sb->idl);
}

const char *
scs_sb_strerror(int error)
{
    return ovs_retval_to_string(error);
}

void
scs_sb_idl_for_each_datapath(const struct scs_sb_idl *sb, scs_sb_datapath_fn fn, void *ctx)
{
    const struct sbrec_datapath_binding *row;
    SBREC_DATAPATH_BINDING_FOR_EACH (row, sb->idl) {
        struct scs_sb_datapath_view v = {
            .uuid = to_uuid(&row->header_.uuid),
            .tunnel_key = row->tunnel_key,
            .external_ids = to_map(&row->external_ids),
        };
        fn(ctx, &v);
    }
}

void
scs_sb_idl_for_each_port(const struct scs_sb_idl *sb, scs_sb_port_fn fn, void *ctx)
{
    const struct sbrec_port_binding *row;
    SBREC_PORT_BINDING_FOR_EACH (row, sb->idl) {
        struct scs_sb_port_view v = {
            .uuid = to_uuid(&row->header_.uuid),
            .logical_port = row->logical_port,
            .tunnel_key = row->tunnel_key,
            .has_datapath = row->datapath != NULL,
            .type = row->type,
            .chassis_name = row->chassis ? row->chassis->name : NULL,
            .options = to_map(&row->options),
        };
        if (row->datapath) {
            v.datapath = to_uuid(&row->datapath->header_.uuid);
        }
        fn(ctx, &v);
    }
}

void
scs_sb_idl_for_each_chassis(const struct scs_sb_idl *sb, scs_sb_chassis_fn fn, void *ctx)
{
    const struct sbrec_chassis *row;
    SBREC_CHASSIS_FOR_EACH (row, sb->idl) {
        struct scs_sb_chassis_view v = {
            .uuid = to_uuid(&row->header_.uuid),
            .name = row->name,
            .n_encaps = row->n_encaps,
            .row_ = row,
        };
        fn(ctx, &v);
    }
}

void
scs_sb_chassis_encap(const struct scs_sb_chassis_view *v, size_t i,
                     struct scs_sb_encap_view *out)
{
    const struct sbrec_chassis *row = v->row_;
    const struct sbrec_encap *encap = row->encaps[i];
    out->type = encap->type;
    out->ip = encap->ip;
    out->options = to_map(&encap->options);
}

void
scs_sb_idl_for_each_lflow(const struct scs_sb_idl *sb, scs_sb_lflow_fn fn, void *ctx)
{
    const struct sbrec_logical_flow *row;
    SBREC_LOGICAL_FLOW_FOR_EACH (row, sb->idl) {
        struct scs_sb_lflow_view v = {
            .uuid = to_uuid(&row->header_.uuid),
            .has_datapath = row->logical_datapath != NULL,
            .has_dp_group = row->logical_dp_group != NULL,
            .pipeline = row->pipeline,
            .table_id = row->table_id,
            .priority = row->priority,
            .match = row->match,
            .actions = row->actions,
            .external_ids = to_map(&row->external_ids),
            .row_ = row,
        };
        if (row->logical_datapath) {
            v.datapath = to_uuid(&row->logical_datapath->header_.uuid);
        }
        if (row->logical_dp_group) {
            v.dp_group = to_uuid(&row->logical_dp_group->header_.uuid);
            v.n_group_datapaths = row->logical_dp_group->n_datapaths;
        }
        fn(ctx, &v);
    }
}

void
scs_sb_lflow_group_datapath(const struct scs_sb_lflow_view *v, size_t i,
                            struct scs_sb_uuid *out)
{
    const struct sbrec_logical_flow *row = v->row_;
    *out = to_uuid(&row->logical_dp_group->datapaths[i]->header_.uuid);
}
