/* The translation units that include Open vSwitch headers (see sb_idl.h): this one connects,
 * scopes the monitor and acts as a chassis; sb_idl_rows.c tracks changes and reads rows.
 * config.h first: Open vSwitch's headers depend on what its configure found. */
#include <config.h>

#include "sb_idl_private.h"


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

/* Monitors only the tables and columns the dataplane reads or writes (ovn-controller does the
 * same with ovsdb_idl_add_column), so the server does not ship the rest of the database.
 * Columns we only write are replicated (the IDL needs their old value to write them) but do
 * not wake the caller (ovsdb_idl_omit_alert). */
static void
monitor_columns(struct ovsdb_idl *idl)
{
    ovsdb_idl_add_table(idl, &sbrec_table_sb_global);
    ovsdb_idl_add_column(idl, &sbrec_sb_global_col_options);
    ovsdb_idl_add_column(idl, &sbrec_sb_global_col_nb_cfg);

    ovsdb_idl_add_table(idl, &sbrec_table_datapath_binding);
    ovsdb_idl_add_column(idl, &sbrec_datapath_binding_col_tunnel_key);
    ovsdb_idl_add_column(idl, &sbrec_datapath_binding_col_external_ids);

    ovsdb_idl_add_table(idl, &sbrec_table_port_binding);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_logical_port);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_tunnel_key);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_datapath);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_type);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_chassis);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_requested_chassis);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_options);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_external_ids);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_mac);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_port_security);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_gateway_chassis);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_ha_chassis_group);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_tag);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_parent_port);
    ovsdb_idl_add_column(idl, &sbrec_port_binding_col_up);

    ovsdb_idl_add_table(idl, &sbrec_table_gateway_chassis);
    ovsdb_idl_add_column(idl, &sbrec_gateway_chassis_col_name);
    ovsdb_idl_add_column(idl, &sbrec_gateway_chassis_col_chassis);
    ovsdb_idl_add_column(idl, &sbrec_gateway_chassis_col_priority);

    ovsdb_idl_add_table(idl, &sbrec_table_ha_chassis_group);
    ovsdb_idl_add_column(idl, &sbrec_ha_chassis_group_col_name);
    ovsdb_idl_add_column(idl, &sbrec_ha_chassis_group_col_ha_chassis);
    ovsdb_idl_add_table(idl, &sbrec_table_ha_chassis);
    ovsdb_idl_add_column(idl, &sbrec_ha_chassis_col_chassis);
    ovsdb_idl_add_column(idl, &sbrec_ha_chassis_col_priority);

    ovsdb_idl_add_table(idl, &sbrec_table_chassis);
    ovsdb_idl_add_column(idl, &sbrec_chassis_col_name);
    ovsdb_idl_add_column(idl, &sbrec_chassis_col_hostname);
    ovsdb_idl_add_column(idl, &sbrec_chassis_col_encaps);
    ovsdb_idl_add_column(idl, &sbrec_chassis_col_other_config);
    ovsdb_idl_add_column(idl, &sbrec_chassis_col_external_ids);

    ovsdb_idl_add_table(idl, &sbrec_table_encap);
    ovsdb_idl_add_column(idl, &sbrec_encap_col_type);
    ovsdb_idl_add_column(idl, &sbrec_encap_col_ip);
    ovsdb_idl_add_column(idl, &sbrec_encap_col_options);
    ovsdb_idl_add_column(idl, &sbrec_encap_col_chassis_name);
    ovsdb_idl_omit_alert(idl, &sbrec_encap_col_chassis_name);

    /* Written only (ovn-controller reports its liveness and nb_cfg here). */
    ovsdb_idl_add_table(idl, &sbrec_table_chassis_private);
    ovsdb_idl_add_column(idl, &sbrec_chassis_private_col_name);
    ovsdb_idl_add_column(idl, &sbrec_chassis_private_col_chassis);
    ovsdb_idl_add_column(idl, &sbrec_chassis_private_col_nb_cfg);
    ovsdb_idl_add_column(idl, &sbrec_chassis_private_col_nb_cfg_timestamp);
    ovsdb_idl_omit_alert(idl, &sbrec_chassis_private_col_name);
    ovsdb_idl_omit_alert(idl, &sbrec_chassis_private_col_chassis);
    ovsdb_idl_omit_alert(idl, &sbrec_chassis_private_col_nb_cfg);
    ovsdb_idl_omit_alert(idl, &sbrec_chassis_private_col_nb_cfg_timestamp);

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

    ovsdb_idl_add_table(idl, &sbrec_table_multicast_group);
    ovsdb_idl_add_column(idl, &sbrec_multicast_group_col_datapath);
    ovsdb_idl_add_column(idl, &sbrec_multicast_group_col_name);
    ovsdb_idl_add_column(idl, &sbrec_multicast_group_col_tunnel_key);
    ovsdb_idl_add_column(idl, &sbrec_multicast_group_col_ports);

    ovsdb_idl_add_table(idl, &sbrec_table_address_set);
    ovsdb_idl_add_column(idl, &sbrec_address_set_col_name);
    ovsdb_idl_add_column(idl, &sbrec_address_set_col_addresses);

    ovsdb_idl_add_table(idl, &sbrec_table_port_group);
    ovsdb_idl_add_column(idl, &sbrec_port_group_col_name);
    ovsdb_idl_add_column(idl, &sbrec_port_group_col_ports);

    ovsdb_idl_add_table(idl, &sbrec_table_mac_binding);
    ovsdb_idl_add_column(idl, &sbrec_mac_binding_col_logical_port);
    ovsdb_idl_add_column(idl, &sbrec_mac_binding_col_ip);
    ovsdb_idl_add_column(idl, &sbrec_mac_binding_col_mac);
    ovsdb_idl_add_column(idl, &sbrec_mac_binding_col_datapath);

    ovsdb_idl_add_table(idl, &sbrec_table_static_mac_binding);
    ovsdb_idl_add_column(idl, &sbrec_static_mac_binding_col_logical_port);
    ovsdb_idl_add_column(idl, &sbrec_static_mac_binding_col_ip);
    ovsdb_idl_add_column(idl, &sbrec_static_mac_binding_col_mac);
    ovsdb_idl_add_column(idl, &sbrec_static_mac_binding_col_datapath);

    /* FDB: MACs learned on ports with "unknown" addresses (get_fdb/lookup_fdb). */
    ovsdb_idl_add_table(idl, &sbrec_table_fdb);
    ovsdb_idl_add_column(idl, &sbrec_fdb_col_mac);
    ovsdb_idl_add_column(idl, &sbrec_fdb_col_dp_key);
    ovsdb_idl_add_column(idl, &sbrec_fdb_col_port_key);

    /* Change tracking for everything monitored (take_changes()). */
    ovsdb_idl_track_add_all(idl);
}

/* Every comma-separated remote must be an active stream name; ovsdb-idl would otherwise
 * retry an unusable name forever and only log why. */
static int
verify_remote(const char *remote, bool have_ssl, char *err, size_t err_len)
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
        } else if (!strncmp(name, "ssl:", 4) && !have_ssl) {
            snprintf(err, err_len,
                     "Southbound remote \"%s\" needs an SSL private key, certificate and "
                     "CA certificate", name);
            error = EINVAL;
        }
    }
    svec_destroy(&remotes);
    return error;
}

static void
chassis_wish_init(struct chassis_wish *w)
{
    memset(w, 0, sizeof *w);
    svec_init(&w->encap_types);
    smap_init(&w->encap_options);
    smap_init(&w->other_config);
    smap_init(&w->external_ids);
}

static void
chassis_wish_destroy(struct chassis_wish *w)
{
    free(w->name);
    free(w->hostname);
    free(w->encap_ip);
    svec_destroy(&w->encap_types);
    smap_destroy(&w->encap_options);
    smap_destroy(&w->other_config);
    smap_destroy(&w->external_ids);
    chassis_wish_init(w);
}

struct scs_sb_idl *
scs_sb_idl_create(const char *remote, const struct scs_sb_idl_options *options, char *err,
                  size_t err_len)
{
    static const struct scs_sb_idl_options defaults;
    if (!options) {
        options = &defaults;
    }
    if (err_len) {
        err[0] = '\0';
    }
    /* Library code does not print: Open vSwitch's log is off unless the caller asks for its
     * warnings on stderr. Connection errors reach the caller through scs_sb_idl_status(). */
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    if (options->ovs_log) {
        vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    }
    const bool have_ssl = options->ssl_private_key && options->ssl_certificate
                          && options->ssl_ca_cert;
    if (!remote) {
        snprintf(err, err_len, "no Southbound remote");
        return NULL;
    }
    if (verify_remote(remote, have_ssl, err, err_len)) {
        return NULL;
    }
    if (have_ssl) {
        /* Process-wide in Open vSwitch's stream-ssl; re-read when the files change. */
        stream_ssl_set_key_and_cert(options->ssl_private_key, options->ssl_certificate);
        stream_ssl_set_ca_cert_file(options->ssl_ca_cert, false);
    }

    /* A server that goes away while we write would otherwise kill the process: Open
     * vSwitch's streams write() to sockets, and its daemons ignore SIGPIPE the same way. */
    fatal_ignore_sigpipe();

    struct scs_sb_idl *sb = xzalloc(sizeof *sb);
    /* retry=true: reconnect with backoff forever; the IDL resynchronises its replica (with
     * monitor_cond_since, only the changes) after every reconnect. */
    sb->idl = ovsdb_idl_create(remote, &sbrec_idl_class, false, true);
    /* A reader does not need the RAFT leader: any cluster member serves the monitor, and a
     * follower forwards our transactions to the leader (ovn-controller does the same). */
    ovsdb_idl_set_leader_only(sb->idl, false);
    monitor_columns(sb->idl);
    sb->monitor_all = options->monitor_all != 0;
    sset_init(&sb->local_ports);
    sset_init(&sb->claims);
    sset_init(&sb->up_ports);
    chassis_wish_init(&sb->wish);
    sb->cond_dirty = true;
    return sb;
}

void
scs_sb_idl_destroy(struct scs_sb_idl *sb)
{
    if (sb) {
        if (sb->committing) {
            ovsdb_idl_txn_destroy(sb->committing);
        }
        ovsdb_idl_destroy(sb->idl);
        free(sb->datapaths);
        sset_destroy(&sb->local_ports);
        sset_destroy(&sb->claims);
        sset_destroy(&sb->up_ports);
        chassis_wish_destroy(&sb->wish);
        free(sb->chassis_name);
        free(sb);
    }
}

static const struct sbrec_chassis *
find_chassis(const struct ovsdb_idl *idl, const char *name)
{
    const struct sbrec_chassis *row;
    if (!name) {
        return NULL;
    }
    SBREC_CHASSIS_FOR_EACH (row, idl) {
        if (!strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

static const struct sbrec_chassis_private *
find_chassis_private(const struct ovsdb_idl *idl, const char *name)
{
    const struct sbrec_chassis_private *row;
    if (!name) {
        return NULL;
    }
    SBREC_CHASSIS_PRIVATE_FOR_EACH (row, idl) {
        if (!strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

/* ---- Monitor conditions ---- */

static bool
is_local_datapath(const struct scs_sb_idl *sb, const struct uuid *dp)
{
    for (size_t i = 0; i < sb->n_datapaths; i++) {
        if (uuid_equals(&sb->datapaths[i], dp)) {
            return true;
        }
    }
    return false;
}

/* The conditions of OVN's update_sb_monitors() (controller/ovn-controller.c), for the tables
 * we replicate. Logical flows of datapath groups are selected by group UUID: the groups
 * themselves are monitored by "datapaths includes a local datapath", and every change of
 * that table re-runs this function. */
static void
update_conditions(struct scs_sb_idl *sb)
{
    struct ovsdb_idl_condition pb = OVSDB_IDL_CONDITION_INIT(&pb);
    struct ovsdb_idl_condition lf = OVSDB_IDL_CONDITION_INIT(&lf);
    struct ovsdb_idl_condition ldpg = OVSDB_IDL_CONDITION_INIT(&ldpg);
    struct ovsdb_idl_condition mg = OVSDB_IDL_CONDITION_INIT(&mg);
    struct ovsdb_idl_condition mb = OVSDB_IDL_CONDITION_INIT(&mb);
    struct ovsdb_idl_condition smb = OVSDB_IDL_CONDITION_INIT(&smb);
    struct ovsdb_idl_condition fdb = OVSDB_IDL_CONDITION_INIT(&fdb);
    struct ovsdb_idl_condition chprv = OVSDB_IDL_CONDITION_INIT(&chprv);

    const struct sbrec_chassis *ch = find_chassis(sb->idl, sb->chassis_name);
    sb->cond_has_chassis = ch != NULL;
    if (ch) {
        sb->cond_chassis = ch->header_.uuid;
    }
    sb->cond_dp_group_seqno = ovsdb_idl_table_get_seqno(sb->idl,
                                                        &sbrec_table_logical_dp_group);

    if (sb->monitor_all) {
        ovsdb_idl_condition_add_clause_true(&pb);
        ovsdb_idl_condition_add_clause_true(&lf);
        ovsdb_idl_condition_add_clause_true(&ldpg);
        ovsdb_idl_condition_add_clause_true(&mg);
        ovsdb_idl_condition_add_clause_true(&mb);
        ovsdb_idl_condition_add_clause_true(&smb);
        ovsdb_idl_condition_add_clause_true(&fdb);
        ovsdb_idl_condition_add_clause_true(&chprv);
        goto out;
    }

    /* Patch ports tell which datapaths are reachable from local ones; chassisredirect and
     * external ports may be scheduled here through gateway chassis (as in OVN). */
    sbrec_port_binding_add_clause_type(&pb, OVSDB_F_EQ, "patch");
    sbrec_port_binding_add_clause_type(&pb, OVSDB_F_EQ, "chassisredirect");
    sbrec_port_binding_add_clause_type(&pb, OVSDB_F_EQ, "external");
    if (sb->chassis_name) {
        const char *id = sb->chassis_name;
        const struct smap l2 = SMAP_CONST1(&l2, "l2gateway-chassis", id);
        sbrec_port_binding_add_clause_options(&pb, OVSDB_F_INCLUDES, &l2);
        const struct smap l3 = SMAP_CONST1(&l3, "l3gateway-chassis", id);
        sbrec_port_binding_add_clause_options(&pb, OVSDB_F_INCLUDES, &l3);
        sbrec_chassis_private_add_clause_name(&chprv, OVSDB_F_EQ, id);
    }
    if (ch) {
        /* Ports bound to us but no longer wanted must be seen to be released. */
        sbrec_port_binding_add_clause_chassis(&pb, OVSDB_F_EQ, &ch->header_.uuid);
        sbrec_port_binding_add_clause_requested_chassis(&pb, OVSDB_F_EQ, &ch->header_.uuid);
    }
    const char *name;
    SSET_FOR_EACH (name, &sb->local_ports) {
        sbrec_port_binding_add_clause_logical_port(&pb, OVSDB_F_EQ, name);
        sbrec_port_binding_add_clause_parent_port(&pb, OVSDB_F_EQ, name);
    }
    SSET_FOR_EACH (name, &sb->claims) {
        sbrec_port_binding_add_clause_logical_port(&pb, OVSDB_F_EQ, name);
    }
    for (size_t i = 0; i < sb->n_datapaths; i++) {
        struct uuid *uuid = &sb->datapaths[i];
        sbrec_port_binding_add_clause_datapath(&pb, OVSDB_F_EQ, uuid);
        sbrec_logical_flow_add_clause_logical_datapath(&lf, OVSDB_F_EQ, uuid);
        sbrec_logical_dp_group_add_clause_datapaths(&ldpg, OVSDB_F_INCLUDES, &uuid, 1);
        sbrec_multicast_group_add_clause_datapath(&mg, OVSDB_F_EQ, uuid);
        sbrec_mac_binding_add_clause_datapath(&mb, OVSDB_F_EQ, uuid);
        sbrec_static_mac_binding_add_clause_datapath(&smb, OVSDB_F_EQ, uuid);
        /* FDB rows name their datapath by tunnel key (as ovn-controller selects them). */
        const struct sbrec_datapath_binding *dp = sbrec_datapath_binding_get_for_uuid(sb->idl, uuid);
        if (dp) {
            sbrec_fdb_add_clause_dp_key(&fdb, OVSDB_F_EQ, dp->tunnel_key);
        }
    }
    const struct sbrec_logical_dp_group *group;
    SBREC_LOGICAL_DP_GROUP_FOR_EACH (group, sb->idl) {
        for (size_t i = 0; i < group->n_datapaths; i++) {
            if (is_local_datapath(sb, &group->datapaths[i]->header_.uuid)) {
                sbrec_logical_flow_add_clause_logical_dp_group(&lf, OVSDB_F_EQ,
                                                               &group->header_.uuid);
                break;
            }
        }
    }

out:
    sbrec_port_binding_set_condition(sb->idl, &pb);
    sbrec_logical_flow_set_condition(sb->idl, &lf);
    sbrec_logical_dp_group_set_condition(sb->idl, &ldpg);
    sbrec_multicast_group_set_condition(sb->idl, &mg);
    sbrec_mac_binding_set_condition(sb->idl, &mb);
    sbrec_static_mac_binding_set_condition(sb->idl, &smb);
    sbrec_fdb_set_condition(sb->idl, &fdb);
    sbrec_chassis_private_set_condition(sb->idl, &chprv);
    ovsdb_idl_condition_destroy(&pb);
    ovsdb_idl_condition_destroy(&lf);
    ovsdb_idl_condition_destroy(&ldpg);
    ovsdb_idl_condition_destroy(&mg);
    ovsdb_idl_condition_destroy(&mb);
    ovsdb_idl_condition_destroy(&smb);
    ovsdb_idl_condition_destroy(&fdb);
    ovsdb_idl_condition_destroy(&chprv);
    sb->cond_dirty = false;
}

static bool
conditions_stale(const struct scs_sb_idl *sb)
{
    if (sb->cond_dirty) {
        return true;
    }
    if (sb->monitor_all) {
        return false;
    }
    const struct sbrec_chassis *ch = find_chassis(sb->idl, sb->chassis_name);
    if ((ch != NULL) != sb->cond_has_chassis
        || (ch && !uuid_equals(&ch->header_.uuid, &sb->cond_chassis))) {
        return true;
    }
    return ovsdb_idl_table_get_seqno(sb->idl, &sbrec_table_logical_dp_group)
           != sb->cond_dp_group_seqno;
}

void
scs_sb_idl_set_scope(struct scs_sb_idl *sb, const struct scs_sb_uuid *datapaths,
                     size_t n_datapaths, const char *const *ports, size_t n_ports)
{
    free(sb->datapaths);
    sb->datapaths = xmalloc((n_datapaths ? n_datapaths : 1) * sizeof *sb->datapaths);
    for (size_t i = 0; i < n_datapaths; i++) {
        sb->datapaths[i] = from_scs_uuid(&datapaths[i]);
    }
    sb->n_datapaths = n_datapaths;
    sset_clear(&sb->local_ports);
    for (size_t i = 0; i < n_ports; i++) {
        sset_add(&sb->local_ports, ports[i]);
    }
    sb->cond_dirty = true;
}

/* ---- Acting as a chassis ---- */

static void
smap_from_pairs(struct smap *out, const char *const *pairs, size_t n)
{
    smap_clear(out);
    for (size_t i = 0; i < n; i++) {
        smap_replace(out, pairs[2 * i], pairs[2 * i + 1]);
    }
}

void
scs_sb_idl_set_chassis(struct scs_sb_idl *sb, const struct scs_sb_chassis_config *cfg)
{
    struct chassis_wish *w = &sb->wish;
    chassis_wish_destroy(w);
    w->name = xstrdup(cfg->name ? cfg->name : "");
    w->hostname = xstrdup(cfg->hostname ? cfg->hostname : "");
    w->encap_ip = xstrdup(cfg->encap_ip ? cfg->encap_ip : "");
    for (size_t i = 0; i < cfg->n_encap_types; i++) {
        svec_add(&w->encap_types, cfg->encap_types[i]);
    }
    svec_sort_unique(&w->encap_types);
    smap_from_pairs(&w->encap_options, cfg->encap_options, cfg->n_encap_options);
    smap_from_pairs(&w->other_config, cfg->other_config, cfg->n_other_config);
    smap_from_pairs(&w->external_ids, cfg->external_ids, cfg->n_external_ids);

    if (!sb->chassis_name || strcmp(sb->chassis_name, w->name)) {
        free(sb->chassis_name);
        sb->chassis_name = xstrdup(w->name);
        sb->cond_dirty = true;
    }
    sb->want_chassis = true;
    sb->releasing = false;
    sb->write_dirty = true;
}

void
scs_sb_idl_set_claims(struct scs_sb_idl *sb, const char *const *ports, size_t n_ports,
                      const char *const *up_ports, size_t n_up_ports)
{
    struct sset claims = SSET_INITIALIZER(&claims);
    for (size_t i = 0; i < n_ports; i++) {
        sset_add(&claims, ports[i]);
    }
    struct sset up = SSET_INITIALIZER(&up);
    for (size_t i = 0; i < n_up_ports; i++) {
        sset_add(&up, up_ports[i]);
    }
    const bool claims_changed = !sset_equals(&claims, &sb->claims);
    if (claims_changed) {
        sb->cond_dirty = true;  /* claimed ports are monitored by name */
    }
    /* Unchanged wishes write nothing: the daemon restates them after every compile, and a
     * rewrite means a walk over every Port_Binding. Rows changed by others are caught by
     * run_txn() from the tracked changes. */
    if (claims_changed || !sset_equals(&up, &sb->up_ports)) {
        sb->write_dirty = true;
    }
    sset_swap(&claims, &sb->claims);
    sset_swap(&up, &sb->up_ports);
    sset_destroy(&claims);
    sset_destroy(&up);
}

void
scs_sb_idl_set_nb_cfg(struct scs_sb_idl *sb, int64_t nb_cfg)
{
    if (!sb->has_nb_cfg || sb->nb_cfg != nb_cfg) {
        sb->has_nb_cfg = true;
        sb->nb_cfg = nb_cfg;
        sb->write_dirty = true;
    }
}

static bool
encaps_match(const struct sbrec_chassis *ch, const struct chassis_wish *w)
{
    if (ch->n_encaps != w->encap_types.n) {
        return false;
    }
    for (size_t i = 0; i < ch->n_encaps; i++) {
        const struct sbrec_encap *e = ch->encaps[i];
        if (!svec_contains(&w->encap_types, e->type) || strcmp(e->ip, w->encap_ip)
            || !smap_equal(&e->options, &w->encap_options)
            || strcmp(e->chassis_name, w->name)) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(ch->encaps[j]->type, e->type)) {
                return false;   /* a duplicate hides a missing type */
            }
        }
    }
    return true;
}

/* Chassis, Encap and Chassis_Private as controller/chassis.c of OVN writes them. Returns our
 * Chassis row (possibly inserted by this transaction). */
static const struct sbrec_chassis *
reconcile_chassis(struct scs_sb_idl *sb, struct ovsdb_idl_txn *txn)
{
    const struct chassis_wish *w = &sb->wish;
    const struct sbrec_chassis *ch = find_chassis(sb->idl, w->name);
    if (!ch) {
        ch = sbrec_chassis_insert(txn);
        sbrec_chassis_set_name(ch, w->name);
    }
    if (strcmp(ch->hostname ? ch->hostname : "", w->hostname)) {
        sbrec_chassis_set_hostname(ch, w->hostname);
    }
    if (!smap_equal(&ch->other_config, &w->other_config)) {
        sbrec_chassis_set_other_config(ch, &w->other_config);
    }
    if (!smap_equal(&ch->external_ids, &w->external_ids)) {
        sbrec_chassis_set_external_ids(ch, &w->external_ids);
    }
    if (!encaps_match(ch, w)) {
        /* Encap is not a root table: the old rows go away with the last reference. */
        size_t n = w->encap_types.n;
        struct sbrec_encap **encaps = xmalloc((n ? n : 1) * sizeof *encaps);
        for (size_t i = 0; i < n; i++) {
            encaps[i] = CONST_CAST(struct sbrec_encap *, sbrec_encap_insert(txn));
            sbrec_encap_set_type(encaps[i], w->encap_types.names[i]);
            sbrec_encap_set_ip(encaps[i], w->encap_ip);
            sbrec_encap_set_options(encaps[i], &w->encap_options);
            sbrec_encap_set_chassis_name(encaps[i], w->name);
        }
        sbrec_chassis_set_encaps(ch, encaps, n);
        free(encaps);
    }

    const struct sbrec_chassis_private *cp = find_chassis_private(sb->idl, w->name);
    if (!cp) {
        cp = sbrec_chassis_private_insert(txn);
        sbrec_chassis_private_set_name(cp, w->name);
    }
    if (!cp->chassis || !uuid_equals(&cp->chassis->header_.uuid, &ch->header_.uuid)) {
        sbrec_chassis_private_set_chassis(cp, ch);
    }
    if (sb->has_nb_cfg && cp->nb_cfg != sb->nb_cfg) {
        sbrec_chassis_private_set_nb_cfg(cp, sb->nb_cfg);
        sbrec_chassis_private_set_nb_cfg_timestamp(cp, time_wall_msec());
    }
    return ch;
}

/* controller/binding.c of OVN: claim = chassis ours (and `up` as the caller says), release =
 * chassis [] and up false. */
static void
reconcile_port(struct scs_sb_idl *sb, const struct sbrec_chassis *ours,
               const struct sbrec_port_binding *pb)
{
    const bool bound_here = ours && pb->chassis
                            && uuid_equals(&pb->chassis->header_.uuid, &ours->header_.uuid);
    /* A port whose requested_chassis names another chassis is not ours to take, even if
     * listed (binding.c of OVN: the CMS pins it; during a live migration both chassis have
     * the interface). */
    const bool requested_elsewhere = ours && pb->requested_chassis
                                     && !uuid_equals(&pb->requested_chassis->header_.uuid,
                                                     &ours->header_.uuid);
    const bool claim = ours && sb->want_chassis && !requested_elsewhere
                       && sset_contains(&sb->claims, pb->logical_port);
    if (claim) {
        const bool up = sset_contains(&sb->up_ports, pb->logical_port);
        if (!bound_here) {
            sbrec_port_binding_set_chassis(pb, ours);
        }
        if (pb->n_up != 1 || pb->up[0] != up) {
            sbrec_port_binding_set_up(pb, &up, 1);
        }
    } else if (bound_here) {
        const bool down = false;
        sbrec_port_binding_set_chassis(pb, NULL);
        sbrec_port_binding_set_up(pb, &down, 1);
    }
}

/* Every Port_Binding (PORTS_ALL), or only those the last update changed (PORTS_CHANGED: a
 * claim can only have moved on a row that changed when nothing else did). */
enum reconcile_scope { PORTS_NONE, PORTS_CHANGED, PORTS_ALL };

static void
reconcile_ports(struct scs_sb_idl *sb, const struct sbrec_chassis *ours,
                enum reconcile_scope scope)
{
    const struct sbrec_port_binding *pb;
    if (scope == PORTS_ALL) {
        SBREC_PORT_BINDING_FOR_EACH (pb, sb->idl) {
            reconcile_port(sb, ours, pb);
        }
    } else if (scope == PORTS_CHANGED) {
        SBREC_PORT_BINDING_FOR_EACH_TRACKED (pb, sb->idl) {
            if (!sbrec_port_binding_is_deleted(pb)) {
                reconcile_port(sb, ours, pb);
            }
        }
    }
}

static void
reconcile(struct scs_sb_idl *sb, struct ovsdb_idl_txn *txn, enum reconcile_scope ports)
{
    const struct sbrec_chassis *ours;
    if (sb->want_chassis) {
        ours = reconcile_chassis(sb, txn);
    } else {
        ours = find_chassis(sb->idl, sb->chassis_name);
    }
    reconcile_ports(sb, ours, ports);
    if (sb->releasing && sb->chassis_name) {
        /* As ovn-controller does on exit: our rows go; Port_Binding.chassis is a weak
         * reference and would be cleared anyway, `up` is cleared above. */
        const struct sbrec_chassis_private *cp = find_chassis_private(sb->idl,
                                                                      sb->chassis_name);
        if (cp) {
            sbrec_chassis_private_delete(cp);
        }
        if (ours) {
            sbrec_chassis_delete(ours);
        }
    }
}

static void
finish_txn(struct scs_sb_idl *sb, struct ovsdb_idl_txn *txn, enum ovsdb_idl_txn_status st)
{
    switch (st) {
    case TXN_SUCCESS:
    case TXN_UNCHANGED:
        sb->txn_error[0] = '\0';
        break;
    case TXN_TRY_AGAIN:
        /* The replica was out of date (or the session not ready): retry soon; the update
         * that makes it current wakes the poll loop as well. */
        sb->retry_at = time_msec() + 100;
        break;
    case TXN_UNCOMMITTED:
    case TXN_INCOMPLETE:
    case TXN_ABORTED:
    case TXN_NOT_LOCKED:
    case TXN_ERROR:
    default: {
        const char *detail = ovsdb_idl_txn_get_error(txn);
        snprintf(sb->txn_error, sizeof sb->txn_error, "Southbound transaction %s: %s",
                 ovsdb_idl_txn_status_to_string(st), detail ? detail : "(no detail)");
        sb->retry_at = time_msec() + 1000;
        break;
    }
    }
    ovsdb_idl_txn_destroy(txn);
}

static bool
wants_writes(const struct scs_sb_idl *sb)
{
    return sb->want_chassis || sb->releasing;
}

static void
run_txn(struct scs_sb_idl *sb)
{
    if (sb->committing) {
        enum ovsdb_idl_txn_status st = ovsdb_idl_txn_commit(sb->committing);
        if (st == TXN_INCOMPLETE) {
            return;
        }
        struct ovsdb_idl_txn *done = sb->committing;
        sb->committing = NULL;
        finish_txn(sb, done, st);
    }
    if (!wants_writes(sb) || !ovsdb_idl_is_connected(sb->idl)) {
        return;
    }
    const unsigned int seqno = ovsdb_idl_get_seqno(sb->idl);
    const bool retry_due = sb->retry_at && time_msec() >= sb->retry_at;
    if (!sb->write_dirty && seqno == sb->reconciled_seqno && !retry_due) {
        return;
    }
    if (sb->retry_at && !retry_due && !sb->write_dirty) {
        return;     /* after a failure, wait for the backoff even if the replica moved */
    }
    /* Every Port_Binding is visited only when something could have moved any claim: our
     * wishes (write_dirty), a retry, a resync, or a changed Chassis row. Changed Port_Binding
     * rows alone (the replica's tracked changes are still there: take_changes() clears them
     * later) are visited one by one; a Logical_Flow update - the common case, with tens of
     * thousands of ports - visits none. */
    enum reconcile_scope ports = PORTS_NONE;
    if (sb->write_dirty || retry_due || sb->full_resync || sb->releasing
        || sb->reconciled_seqno == 0 || sbrec_chassis_track_get_first(sb->idl)) {
        ports = PORTS_ALL;
    } else if (sbrec_port_binding_track_get_first(sb->idl)) {
        ports = PORTS_CHANGED;
    }
    struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(sb->idl);
    reconcile(sb, txn, ports);
    sb->write_dirty = false;
    sb->reconciled_seqno = seqno;
    sb->retry_at = 0;
    enum ovsdb_idl_txn_status st = ovsdb_idl_txn_commit(txn);
    if (st == TXN_INCOMPLETE) {
        sb->committing = txn;
    } else {
        finish_txn(sb, txn, st);
    }
}

void
scs_sb_idl_run(struct scs_sb_idl *sb)
{
    const unsigned int before = ovsdb_idl_get_seqno(sb->idl);
    ovsdb_idl_run(sb->idl);

    const bool connected = ovsdb_idl_is_connected(sb->idl);
    const unsigned int seqno = ovsdb_idl_get_seqno(sb->idl);
    /* A new session: the replica is resynchronised, fully if the server lost our transaction
     * history (e.g. restarted with a fresh database). The IDL then clears the replica and
     * forgets tracked changes (ovsdb_idl_db_clear() does not track deletions), so the monitor
     * reply itself, which always bumps the seqno, is reported as a full resync too. */
    if (connected && !sb->was_connected) {
        sb->full_resync = true;
        sb->resync_wait_data = seqno == before;   /* else the reply came in this run */
        sb->connect_seqno = seqno;
    } else if (connected && sb->resync_wait_data && seqno != sb->connect_seqno) {
        sb->full_resync = true;
        sb->resync_wait_data = false;
    }
    sb->was_connected = connected;

    if (conditions_stale(sb)) {
        update_conditions(sb);
    }
    run_txn(sb);
}

void
scs_sb_idl_wait(struct scs_sb_idl *sb, int timeout_ms)
{
    ovsdb_idl_wait(sb->idl);
    if (sb->committing) {
        ovsdb_idl_txn_wait(sb->committing);
    }
    if (sb->cond_dirty || (sb->write_dirty && wants_writes(sb))) {
        poll_immediate_wake();
    } else if (sb->retry_at) {
        poll_timer_wait_until(sb->retry_at);
    }
    poll_timer_wait(timeout_ms < 0 ? 0 : timeout_ms);
    poll_block();
}

static bool
chassis_present(const struct scs_sb_idl *sb)
{
    return sb->chassis_name && find_chassis(sb->idl, sb->chassis_name)
           && find_chassis_private(sb->idl, sb->chassis_name);
}

void
scs_sb_idl_status(const struct scs_sb_idl *sb, struct scs_sb_status *st)
{
    st->connected = ovsdb_idl_is_connected(sb->idl);
    st->ever_connected = ovsdb_idl_has_ever_connected(sb->idl);
    st->seqno = ovsdb_idl_get_seqno(sb->idl);
    st->last_error = ovsdb_idl_get_last_error(sb->idl);
    st->txn_error = sb->txn_error;
    st->txn_pending = sb->committing != NULL
                      || (wants_writes(sb) && (sb->write_dirty || sb->retry_at));
    st->chassis_present = chassis_present(sb);
}

const char *
scs_sb_strerror(int error)
{
    return ovs_retval_to_string(error);
}

int
scs_sb_idl_release_all(struct scs_sb_idl *sb, int timeout_ms, char *err, size_t err_len)
{
    if (err_len) {
        err[0] = '\0';
    }
    sb->want_chassis = false;
    sb->releasing = true;
    sset_clear(&sb->claims);
    sset_clear(&sb->up_ports);
    sb->write_dirty = true;
    sb->retry_at = 0;

    const long long int deadline = time_msec() + (timeout_ms < 0 ? 0 : timeout_ms);
    int error = 0;
    for (;;) {
        scs_sb_idl_run(sb);
        const bool settled = ovsdb_idl_is_connected(sb->idl) && !sb->committing
                             && !sb->write_dirty && !sb->retry_at
                             && sb->reconciled_seqno == ovsdb_idl_get_seqno(sb->idl);
        if (settled && !find_chassis(sb->idl, sb->chassis_name)
            && !find_chassis_private(sb->idl, sb->chassis_name)) {
            break;
        }
        const long long int now = time_msec();
        if (now >= deadline) {
            error = ETIMEDOUT;
            snprintf(err, err_len, "releasing chassis \"%s\" timed out after %d ms: %s",
                     sb->chassis_name ? sb->chassis_name : "",
                     timeout_ms,
                     !ovsdb_idl_is_connected(sb->idl) ? "not connected to the Southbound"
                     : sb->txn_error[0] ? sb->txn_error
                     : "transaction not confirmed");
            break;
        }
        scs_sb_idl_wait(sb, (int) (deadline - now));
    }
    sb->releasing = false;
    return error;
}
