/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sv-card-image.h"
#include "sv-contact.h"

G_BEGIN_DECLS

/**
 * SV_PHONEBOOK_ERROR:
 *
 * Error domain of the phonebook model: a set or record that does not
 * exist, a contact that does not fit the card, a file layout (EF_PBR) the
 * model cannot use.
 */
#define SV_PHONEBOOK_ERROR (sv_phonebook_error_quark ())

typedef enum
{
  SV_PHONEBOOK_ERROR_NO_PHONEBOOK,
  SV_PHONEBOOK_ERROR_NO_SUCH_SET,
  SV_PHONEBOOK_ERROR_OUT_OF_RANGE,
  SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
  SV_PHONEBOOK_ERROR_CORRUPT,
} SvPhonebookError;

GQuark     sv_phonebook_error_quark       (void);

/**
 * SvPhonebookLimits:
 *
 * What one contact may hold on a given card, read from the image's file
 * layout (record lengths and counts). For the 2G phonebook @set is 0 and
 * the USIM-only counts are 0.
 */
typedef struct
{
  guint set;
  guint n_records;              /* EF_ADN records in this set */
  guint alpha_len;              /* bytes of alpha identifier per ADN record */
  guint n_ext1_records;         /* EF_EXT1 records in all */
  guint n_ext1_free;            /* EF_EXT1 records not in use */
  guint n_anr;                  /* additional numbers per contact */
  guint n_email;                /* e-mail addresses per contact */
  guint email_len;              /* bytes for the address in EF_EMAIL */
  guint sne_len;                /* bytes of second name; 0 when absent */
} SvPhonebookLimits;

/**
 * SvFitProblem:
 *
 * One thing of a contact that does not fit the card, with a message for the
 * user that says by how much ("3 characters too long for this card (UCS2
 * 0x81)").
 */
typedef struct
{
  char *field;                  /* "name", "number", "additional_numbers[1]", "emails[0]", "second_name", "index" */
  char *message;
  gint  excess;                 /* characters or digits too many; 0 when not countable */
} SvFitProblem;

void       sv_fit_problem_free            (SvFitProblem       *problem);

/*
 * Which phonebook: on an image with "pbr" the contacts are the USIM sets
 * 1..n (one per EF_PBR record) and the 2G "adn" is ignored (on a UICC it
 * maps onto one DF_PHONEBOOK, TS 31.102 §4.4.2, so it would list every
 * contact twice); otherwise set 0 from "adn"/"ext1".
 *
 * Messages are not here: see sv-sms-store.h.
 *
 * Store and delete change the fewest records, so sv_card_image_diff() of
 * the edited copy is exactly what to write; on a USIM set they also update
 * EF_PBC, EF_UID/EF_PUID and EF_CC as a handset would.
 */

guint      sv_phonebook_get_n_sets        (SvCardImage        *image);
gboolean   sv_phonebook_get_limits        (SvCardImage        *image,
                                           guint               set,
                                           SvPhonebookLimits  *limits,
                                           GError            **error);
GPtrArray *sv_phonebook_decode            (SvCardImage        *image,
                                           GError            **error);
GPtrArray *sv_phonebook_check_contact     (SvCardImage        *image,
                                           const SvContact    *contact);
gboolean   sv_phonebook_store_contact     (SvCardImage        *image,
                                           const SvContact    *contact,
                                           GError            **error);
gboolean   sv_phonebook_delete_contact    (SvCardImage        *image,
                                           guint               set,
                                           guint               index,
                                           GError            **error);
guint      sv_phonebook_find_free_index   (SvCardImage        *image,
                                           guint               set);

G_END_DECLS
