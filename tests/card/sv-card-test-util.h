/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the card tests share (sv-card-test-util.c).
 */
#pragma once

#include <glib.h>

#include "sv-card-image.h"
#include "sv-card-session.h"
#include "sv-vsim-fixture.h"

G_BEGIN_DECLS

char          *sv_card_test_profile_secret     (const char     *profile_path,
                                                const char     *name,
                                                gboolean       *enabled);
SvCardSession *sv_card_test_open_with_pin      (SvReader       *reader,
                                                SvVsimFixture  *fixture,
                                                const char     *profile_path,
                                                GError        **error);
SvCardImage   *sv_card_test_make_edits         (SvCardImage    *base);
void           sv_card_test_assert_card_equals (SvReader       *reader,
                                                SvVsimFixture  *fixture,
                                                const char     *profile_path,
                                                SvCardImage    *expected,
                                                GPtrArray      *written);

G_END_DECLS
