/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sv-vsim-fixture.h: a virtual card in the harness's pcscd, for card tests.
 *
 * Needs build-aux/card-harness.sh running (SV_VPCD_PORT and
 * SV_VPCD_READER<slot> in the environment: `eval "$(card-harness.sh env)"`,
 * or run the tests under build-aux/with-card-harness.sh).  Outside the
 * harness, sv_vsim_fixture_skip_unless_available() marks the test skipped.
 *
 *   if (sv_vsim_fixture_skip_unless_available ())
 *     return;
 *   fixture = sv_vsim_fixture_start (sv_vsim_fixture_profile ("usim-2sets"),
 *                                    0, NULL, &error);
 *   ... SCardConnect (ctx, sv_vsim_fixture_reader_name (fixture), ...) ...
 *   sv_vsim_fixture_stop (fixture);
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SvVsimFixture SvVsimFixture;

gboolean       sv_vsim_fixture_available               (void);
gboolean       sv_vsim_fixture_skip_unless_available   (void);
char          *sv_vsim_fixture_profile                 (const char         *name);

SvVsimFixture *sv_vsim_fixture_start                   (const char         *profile_json_path,
                                                        guint               slot,
                                                        const char * const *extra_args,
                                                        GError            **error);
const char    *sv_vsim_fixture_reader_name             (SvVsimFixture      *fixture);
const char    *sv_vsim_fixture_image_path              (SvVsimFixture      *fixture);
const char    *sv_vsim_fixture_apdu_log_path           (SvVsimFixture      *fixture);
guint          sv_vsim_fixture_apdu_count              (SvVsimFixture      *fixture);
gboolean       sv_vsim_fixture_wait_exit               (SvVsimFixture      *fixture,
                                                        guint               timeout_ms);
gboolean       sv_vsim_fixture_wait_card               (SvVsimFixture      *fixture,
                                                        gboolean            present,
                                                        guint               timeout_ms);
void           sv_vsim_fixture_keep_files              (SvVsimFixture      *fixture);
void           sv_vsim_fixture_stop                    (SvVsimFixture      *fixture);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvVsimFixture, sv_vsim_fixture_stop)

G_END_DECLS
