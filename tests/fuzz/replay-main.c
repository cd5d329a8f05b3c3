/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A main() for the fuzz targets in an ordinary (gcc) build: runs every
 * file of the corpus directories given as arguments through
 * LLVMFuzzerTestOneInput once. The seeds and every crash a fuzzer found
 * (corpus/<target>/regress-*) thus become a test of every build, not only
 * of the clang one (suite "fuzz-replay").
 */
#include "config.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerInitialize    (int *argc, char ***argv);
int LLVMFuzzerTestOneInput  (const uint8_t *data, size_t size);

int
main (int    argc,
      char **argv)
{
  guint n = 0;

  LLVMFuzzerInitialize (&argc, &argv);
  for (int a = 1; a < argc; a++)
    {
      g_autoptr(GDir) dir = g_dir_open (argv[a], 0, NULL);
      const char *name;

      if (dir == NULL)
        {
          g_printerr ("no corpus directory %s\n", argv[a]);
          return 1;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[a], name, NULL);
          g_autofree char *data = NULL;
          gsize len = 0;

          if (!g_file_get_contents (path, &data, &len, NULL))
            return 1;
          g_print ("# %s\n", path);
          LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
          n++;
        }
    }
  g_print ("1..1\nok 1 - %u corpus inputs replayed\n", n);
  return n > 0 ? 0 : 1;
}
