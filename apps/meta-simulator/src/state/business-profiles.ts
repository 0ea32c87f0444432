/** The fields of a phone number's WhatsApp business profile Meta lets a business set. */
export const PROFILE_FIELDS = ['about', 'address', 'description', 'email', 'profile_picture_url', 'websites', 'vertical'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type BusinessProfile = Partial<Record<ProfileField, string | string[]>>;

/** Business profiles by phone number id; a number never set has an empty one. */
export class BusinessProfiles {
  #byPhone = new Map<string, BusinessProfile>();

  get(phoneNumberId: string): BusinessProfile {
    return { ...(this.#byPhone.get(phoneNumberId) ?? {}) };
  }

  update(phoneNumberId: string, changes: BusinessProfile): void {
    this.#byPhone.set(phoneNumberId, { ...this.get(phoneNumberId), ...changes });
  }

  clear(): void {
    this.#byPhone.clear();
  }
}
