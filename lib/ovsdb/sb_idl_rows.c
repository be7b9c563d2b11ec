/* Change tracking and reading the replica: the rows the IDL holds, handed to the C++ side as
 * plain views (sb_idl.h). config.h first, as in sb_idl.c. */
#include <config.h>

#include "sb_idl_private.h"

/* ---- Change tracking ---- */

static void
report_dp(scs_sb_change_fn fn, void *ctx, enum scs_sb_change_kind kind,
          const struct sbrec_datapath_binding *dp)
{
    if (dp) {
        struct scs_sb_uuid u = to_uuid(&dp->header_.uuid);
        fn(ctx, kind, &u);
    }
}

static void fill_lflow_view(const struct sbrec_logical_flow *, struct scs_sb_lflow_view *);
static void fill_port_view(const struct sbrec_port_binding *, struct scs_sb_port_view *);
static void fill_mcgroup_view(const struct sbrec_multicast_group *,
                              struct scs_sb_mcgroup_view *);

static void
report_rows(struct ovsdb_idl *idl, const struct scs_sb_row_fns *rows, void *ctx)
{
    const struct sbrec_logical_flow *lf;
    SBREC_LOGICAL_FLOW_FOR_EACH_TRACKED (lf, idl) {
        struct scs_sb_uuid u = to_uuid(&lf->header_.uuid);
        if (sbrec_logical_flow_is_deleted(lf)) {
            rows->lflow(ctx, &u, NULL);
        } else {
            struct scs_sb_lflow_view v;
            fill_lflow_view(lf, &v);
            rows->lflow(ctx, &u, &v);
        }
    }
    const struct sbrec_port_binding *pb;
    SBREC_PORT_BINDING_FOR_EACH_TRACKED (pb, idl) {
        struct scs_sb_uuid u = to_uuid(&pb->header_.uuid);
        if (sbrec_port_binding_is_deleted(pb)) {
            rows->port(ctx, &u, NULL);
        } else {
            struct scs_sb_port_view v;
            fill_port_view(pb, &v);
            rows->port(ctx, &u, &v);
        }
    }
    const struct sbrec_multicast_group *mg;
    SBREC_MULTICAST_GROUP_FOR_EACH_TRACKED (mg, idl) {
        struct scs_sb_uuid u = to_uuid(&mg->header_.uuid);
        if (sbrec_multicast_group_is_deleted(mg)) {
            rows->mcgroup(ctx, &u, NULL);
        } else {
            struct scs_sb_mcgroup_view v;
            fill_mcgroup_view(mg, &v);
            rows->mcgroup(ctx, &u, &v);
        }
    }
    const struct sbrec_logical_dp_group *group;
    SBREC_LOGICAL_DP_GROUP_FOR_EACH_TRACKED (group, idl) {
        struct scs_sb_uuid u = to_uuid(&group->header_.uuid);
        rows->dp_group(ctx, &u);
    }
}

void
scs_sb_idl_take_changes(struct scs_sb_idl *sb, scs_sb_change_fn fn,
                        const struct scs_sb_row_fns *rows, void *ctx)
{
    struct ovsdb_idl *idl = sb->idl;
    if (sb->full_resync) {
        fn(ctx, SCS_SB_CHANGE_FULL_RESYNC, NULL);
        sb->full_resync = false;
    }

    const struct sbrec_logical_flow *lf;
    SBREC_LOGICAL_FLOW_FOR_EACH_TRACKED (lf, idl) {
        report_dp(fn, ctx, SCS_SB_CHANGE_LFLOW, lf->logical_datapath);
        if (lf->logical_dp_group) {
            for (size_t i = 0; i < lf->logical_dp_group->n_datapaths; i++) {
                report_dp(fn, ctx, SCS_SB_CHANGE_LFLOW, lf->logical_dp_group->datapaths[i]);
            }
        }
    }
    /* A group whose membership changed changes the flows of its (new) members. */
    const struct sbrec_logical_dp_group *group;
    SBREC_LOGICAL_DP_GROUP_FOR_EACH_TRACKED (group, idl) {
        if (ovsdb_idl_row_get_seqno(&group->header_, OVSDB_IDL_CHANGE_MODIFY) > 0) {
            for (size_t i = 0; i < group->n_datapaths; i++) {
                report_dp(fn, ctx, SCS_SB_CHANGE_LFLOW, group->datapaths[i]);
            }
        }
    }
    const struct sbrec_port_binding *pb;
    SBREC_PORT_BINDING_FOR_EACH_TRACKED (pb, idl) {
        report_dp(fn, ctx, SCS_SB_CHANGE_PORT, pb->datapath);
    }
    const struct sbrec_multicast_group *mg;
    SBREC_MULTICAST_GROUP_FOR_EACH_TRACKED (mg, idl) {
        report_dp(fn, ctx, SCS_SB_CHANGE_MCGROUP, mg->datapath);
    }
    const struct sbrec_mac_binding *mb;
    SBREC_MAC_BINDING_FOR_EACH_TRACKED (mb, idl) {
        report_dp(fn, ctx, SCS_SB_CHANGE_MAC_BINDING, mb->datapath);
    }
    const struct sbrec_static_mac_binding *smb;
    SBREC_STATIC_MAC_BINDING_FOR_EACH_TRACKED (smb, idl) {
        report_dp(fn, ctx, SCS_SB_CHANGE_MAC_BINDING, smb->datapath);
    }
    const struct sbrec_datapath_binding *dp;
    SBREC_DATAPATH_BINDING_FOR_EACH_TRACKED (dp, idl) {
        report_dp(fn, ctx, SCS_SB_CHANGE_DATAPATH, dp);
    }
    if (sbrec_chassis_track_get_first(idl) || sbrec_encap_track_get_first(idl)) {
        fn(ctx, SCS_SB_CHANGE_CHASSIS, NULL);
    }
    if (sbrec_address_set_track_get_first(idl)) {
        fn(ctx, SCS_SB_CHANGE_ADDRESS_SET, NULL);
    }
    if (sbrec_port_group_track_get_first(idl)) {
        fn(ctx, SCS_SB_CHANGE_PORT_GROUP, NULL);
    }
    if (sbrec_sb_global_track_get_first(idl)) {
        fn(ctx, SCS_SB_CHANGE_SB_GLOBAL, NULL);
    }
    if (sbrec_gateway_chassis_track_get_first(idl) || sbrec_ha_chassis_track_get_first(idl)
        || sbrec_ha_chassis_group_track_get_first(idl)) {
        fn(ctx, SCS_SB_CHANGE_GATEWAY, NULL);
    }
    if (sbrec_fdb_track_get_first(idl)) {
        fn(ctx, SCS_SB_CHANGE_FDB, NULL);
    }
    if (rows) {
        report_rows(idl, rows, ctx);
    }
    ovsdb_idl_track_clear(idl);
}

/* ---- Reading the replica ---- */

void
scs_sb_idl_for_each_fdb(const struct scs_sb_idl *sb, scs_sb_fdb_fn fn, void *ctx)
{
    const struct sbrec_fdb *row;
    SBREC_FDB_FOR_EACH (row, sb->idl) {
        struct scs_sb_fdb_view v = {.mac = row->mac, .dp_key = row->dp_key, .port_key = row->port_key};
        fn(ctx, &v);
    }
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

static void
fill_port_view(const struct sbrec_port_binding *row, struct scs_sb_port_view *out)
{
    struct scs_sb_port_view v = {
        .uuid = to_uuid(&row->header_.uuid),
        .logical_port = row->logical_port,
        .tunnel_key = row->tunnel_key,
        .has_datapath = row->datapath != NULL,
        .type = row->type,
        .chassis_name = row->chassis ? row->chassis->name : NULL,
        .requested_chassis = row->requested_chassis ? row->requested_chassis->name : NULL,
        .options = to_map(&row->options),
        .external_ids = to_map(&row->external_ids),
        .mac = (const char *const *) row->mac,
        .n_mac = row->n_mac,
        .port_security = (const char *const *) row->port_security,
        .n_port_security = row->n_port_security,
        .ha_chassis_group = row->ha_chassis_group ? row->ha_chassis_group->name : NULL,
        .has_tag = row->n_tag > 0,
        .tag = row->n_tag ? row->tag[0] : 0,
        .parent_port = row->parent_port,
        .has_up = row->n_up > 0,
        .up = row->n_up ? row->up[0] : 0,
        .n_gateway_chassis = row->n_gateway_chassis ? row->n_gateway_chassis
                             : row->ha_chassis_group
                               ? row->ha_chassis_group->n_ha_chassis : 0,
        .row_ = row,
    };
    if (row->datapath) {
        v.datapath = to_uuid(&row->datapath->header_.uuid);
    }
    *out = v;
}

void
scs_sb_idl_for_each_port(const struct scs_sb_idl *sb, scs_sb_port_fn fn, void *ctx)
{
    const struct sbrec_port_binding *row;
    SBREC_PORT_BINDING_FOR_EACH (row, sb->idl) {
        struct scs_sb_port_view v;
        fill_port_view(row, &v);
        fn(ctx, &v);
    }
}

void
scs_sb_port_gateway(const struct scs_sb_port_view *v, size_t i, const char **chassis,
                    int64_t *priority)
{
    const struct sbrec_port_binding *row = v->row_;
    if (row->n_gateway_chassis) {
        const struct sbrec_gateway_chassis *gc = row->gateway_chassis[i];
        *chassis = gc->chassis ? gc->chassis->name : "";
        *priority = gc->priority;
    } else {
        const struct sbrec_ha_chassis *ha = row->ha_chassis_group->ha_chassis[i];
        *chassis = ha->chassis ? ha->chassis->name : "";
        *priority = ha->priority;
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
            .hostname = row->hostname ? row->hostname : "",
            .other_config = to_map(&row->other_config),
            .external_ids = to_map(&row->external_ids),
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

static void
fill_lflow_view(const struct sbrec_logical_flow *row, struct scs_sb_lflow_view *out)
{
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
    *out = v;
}

void
scs_sb_idl_for_each_lflow(const struct scs_sb_idl *sb, scs_sb_lflow_fn fn, void *ctx)
{
    const struct sbrec_logical_flow *row;
    SBREC_LOGICAL_FLOW_FOR_EACH (row, sb->idl) {
        struct scs_sb_lflow_view v;
        fill_lflow_view(row, &v);
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

static void
fill_mcgroup_view(const struct sbrec_multicast_group *row, struct scs_sb_mcgroup_view *out)
{
    struct scs_sb_mcgroup_view v = {
        .uuid = to_uuid(&row->header_.uuid),
        .has_datapath = row->datapath != NULL,
        .name = row->name,
        .tunnel_key = row->tunnel_key,
        .n_ports = row->n_ports,
        .row_ = row,
    };
    if (row->datapath) {
        v.datapath = to_uuid(&row->datapath->header_.uuid);
    }
    *out = v;
}

void
scs_sb_idl_for_each_mcgroup(const struct scs_sb_idl *sb, scs_sb_mcgroup_fn fn, void *ctx)
{
    const struct sbrec_multicast_group *row;
    SBREC_MULTICAST_GROUP_FOR_EACH (row, sb->idl) {
        struct scs_sb_mcgroup_view v;
        fill_mcgroup_view(row, &v);
        fn(ctx, &v);
    }
}

const char *
scs_sb_mcgroup_port(const struct scs_sb_mcgroup_view *v, size_t i)
{
    const struct sbrec_multicast_group *row = v->row_;
    return row->ports[i]->logical_port;
}

void
scs_sb_idl_for_each_address_set(const struct scs_sb_idl *sb, scs_sb_named_set_fn fn,
                                void *ctx)
{
    const struct sbrec_address_set *row;
    SBREC_ADDRESS_SET_FOR_EACH (row, sb->idl) {
        struct scs_sb_named_set_view v = {
            .name = row->name,
            .items = (const char *const *) row->addresses,
            .n_items = row->n_addresses,
        };
        fn(ctx, &v);
    }
}

void
scs_sb_idl_for_each_port_group(const struct scs_sb_idl *sb, scs_sb_named_set_fn fn,
                               void *ctx)
{
    const struct sbrec_port_group *row;
    SBREC_PORT_GROUP_FOR_EACH (row, sb->idl) {
        struct scs_sb_named_set_view v = {
            .name = row->name,
            .items = (const char *const *) row->ports,
            .n_items = row->n_ports,
        };
        fn(ctx, &v);
    }
}

void
scs_sb_idl_for_each_mac_binding(const struct scs_sb_idl *sb, scs_sb_mac_binding_fn fn,
                                void *ctx)
{
    const struct sbrec_mac_binding *row;
    SBREC_MAC_BINDING_FOR_EACH (row, sb->idl) {
        struct scs_sb_mac_binding_view v = {
            .logical_port = row->logical_port,
            .ip = row->ip,
            .mac = row->mac,
            .has_datapath = row->datapath != NULL,
        };
        if (row->datapath) {
            v.datapath = to_uuid(&row->datapath->header_.uuid);
        }
        fn(ctx, &v);
    }
    const struct sbrec_static_mac_binding *srow;
    SBREC_STATIC_MAC_BINDING_FOR_EACH (srow, sb->idl) {
        struct scs_sb_mac_binding_view v = {
            .logical_port = srow->logical_port,
            .ip = srow->ip,
            .mac = srow->mac,
            .has_datapath = srow->datapath != NULL,
        };
        if (srow->datapath) {
            v.datapath = to_uuid(&srow->datapath->header_.uuid);
        }
        fn(ctx, &v);
    }
}

const struct scs_sb_map *
scs_sb_idl_sb_global_options(const struct scs_sb_idl *sb)
{
    const struct sbrec_sb_global *row = sbrec_sb_global_first(sb->idl);
    return row ? to_map(&row->options) : NULL;
}

int64_t
scs_sb_idl_sb_global_nb_cfg(const struct scs_sb_idl *sb)
{
    const struct sbrec_sb_global *row = sbrec_sb_global_first(sb->idl);
    return row ? row->nb_cfg : 0;
}
