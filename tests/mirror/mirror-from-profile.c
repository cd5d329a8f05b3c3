/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mirror-from-profile DB PROFILE.json…: reads each virtual card profile as
 * the product reads a card (see sv-profile-card.h) and stores it in the
 * mirror DB, as “simvault-cli read --db DB” does with a card in a reader.
 * Prints one ICCID per line. For the tests that drive simvault-cli on
 * real card contents without pcscd (test-exports.py).
 */
#include "config.h"

#include <stdio.h>

#include "sv-mirror.h"
#include "sv-profile-card.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;

  if (argc < 3)
    {
      fprintf (stderr, "Usage: %s DB PROFILE.json…\n", argv[0]);
      return 2;
    }
  mirror = sv_mirror_open (argv[1], &error);
  if (mirror == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[1], error->message);
      return 1;
    }
  for (int i = 2; i < argc; i++)
    {
      g_autoptr(SvCardImage) image = sv_profile_card_read (argv[i], &error);

      if (image == NULL || !sv_mirror_import_card (mirror, image, NULL, &error))
        {
          fprintf (stderr, "%s: %s\n", argv[i], error->message);
          return 1;
        }
      printf ("%s\n", sv_card_image_get_iccid (image));
    }
  return 0;
}
