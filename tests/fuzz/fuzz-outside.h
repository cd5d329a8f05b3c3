/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the issue 17 targets: a critical or a warning from any library
 * (a GLib/json-glib precondition that failed) is a finding, so it aborts,
 * which libFuzzer catches and saves as a crash input (G_DEBUG's
 * fatal-criticals would raise SIGTRAP, which libFuzzer does not catch).
 */
#pragma once

#include "fuzz-common.h"

static void
fuzz_log_abort_cb (const char     *domain,
                   GLogLevelFlags  level,
                   const char     *message,
                   gpointer        user_data)
{
  g_printerr ("%s: %s\n", domain ? domain : "(none)", message);
  abort ();
}

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_always_fatal (0);
  g_log_set_default_handler (g_log_default_handler, NULL);
  for (const char * const *d = (const char * const[]) { "GLib", "Json", "GLib-GObject", NULL }; *d; d++)
    g_log_set_handler (*d, G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, fuzz_log_abort_cb, NULL);
  g_log_set_handler (NULL, G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, fuzz_log_abort_cb, NULL);
  return 0;
}
